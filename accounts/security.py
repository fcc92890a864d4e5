"""Hooks for django-axes."""


def axes_username(request, credentials) -> str:
    """Count failures per address however it is typed (ALICE@ and alice@ are one account)."""
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(raw).strip().lower().replace("\x00", "")[:254]
