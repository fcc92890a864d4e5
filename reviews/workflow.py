"""The application state machine: which action moves an application from which state to which.

Services consult it before every change of status; an action not in the table is refused with
a message that names the current state.
"""

from .models import Application

S = Application.Status

TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({S.DRAFT}), S.SUBMITTED),
    "assess": (frozenset({S.SUBMITTED}), S.IN_REVIEW),
    "request_info": (frozenset({S.IN_REVIEW, S.ESCALATED}), S.INFO_REQUESTED),
    "answer": (frozenset({S.INFO_REQUESTED}), S.SUBMITTED),
    "escalate": (frozenset({S.IN_REVIEW}), S.ESCALATED),
    "approve": (frozenset({S.IN_REVIEW, S.ESCALATED}), S.APPROVED),
    "deny": (frozenset({S.IN_REVIEW, S.ESCALATED}), S.DENIED),
    "withdraw": (
        frozenset({S.DRAFT, S.SUBMITTED, S.IN_REVIEW, S.INFO_REQUESTED, S.ESCALATED}),
        S.WITHDRAWN,
    ),
    "expire": (frozenset({S.APPROVED}), S.EXPIRED),
}


class TransitionError(Exception):
    """The action is not allowed from the application's current state."""


def next_status(current: str, action: str) -> str:
    """Return the status `action` leads to from `current`, or refuse."""
    sources, target = TRANSITIONS[action]
    if current not in sources:
        label = S(current).label.lower()
        raise TransitionError(f"This application is {label}, so it cannot be {_past(action)} now.")
    return target


def allowed(current: str, action: str) -> bool:
    return current in TRANSITIONS[action][0]


def _past(action: str) -> str:
    return {
        "submit": "submitted",
        "assess": "assessed",
        "request_info": "sent back with questions",
        "answer": "answered",
        "escalate": "escalated",
        "approve": "approved",
        "deny": "denied",
        "withdraw": "withdrawn",
        "expire": "expired",
    }[action]
