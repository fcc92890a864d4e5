"""Refuse webhook addresses that would make the server call itself or its neighbours.

A URL is safe when its scheme is https (http only where ENTITLEMENTS_WEBHOOK_ALLOW_HTTP is
set, for local development), it names a host, and every address that host resolves to is a
public one: no loopback, private, link-local (the cloud metadata service at
169.254.169.254), shared, multicast, reserved or unspecified address, IPv4-mapped ones
included. ENTITLEMENTS_WEBHOOK_ALLOW_LOOPBACK admits loopback for development and tests.

The check runs after DNS resolution, and the delivery connects to the address that was
checked (`safe_target`), so a name that resolves differently a moment later (DNS
rebinding) cannot slip through.
"""

import ipaddress
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

Resolver = Callable[[str, int], list[str]]

logger = logging.getLogger("gatehouse.webhooks")


class UnsafeURL(ValueError):
    """The webhook address is not allowed; the message says why."""


def resolve(host: str, port: int) -> list[str]:
    """Return every address the host resolves to (the real DNS; tests pass their own)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeURL(f"The host {host} cannot be resolved.") from error
    return sorted({info[4][0] for info in infos})


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str
    path: str


def _allowed(address: str, allow_loopback: bool) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if allow_loopback and ip.is_loopback:
        return True
    return ip.is_global and not ip.is_multicast


def safe_target(url: str, *, resolver: Resolver | None = None) -> Target:
    """Return where to connect for the URL, or raise UnsafeURL."""
    allow_http = getattr(settings, "ENTITLEMENTS_WEBHOOK_ALLOW_HTTP", False)
    allow_loopback = getattr(settings, "ENTITLEMENTS_WEBHOOK_ALLOW_LOOPBACK", False)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeURL("The webhook address is not a valid URL.") from error
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise UnsafeURL("Webhook addresses must use https.")
    host = parts.hostname
    if not host:
        raise UnsafeURL("The webhook address has no host.")
    if parts.username or parts.password:
        raise UnsafeURL("Webhook addresses may not carry a user name or password.")
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = (resolver or resolve)(host, port)
    if not addresses:
        raise UnsafeURL(f"The host {host} cannot be resolved.")
    for address in addresses:
        try:
            allowed = _allowed(address, allow_loopback)
        except ValueError as error:
            raise UnsafeURL(f"The host {host} resolves to an invalid address.") from error
        if not allowed:
            # The address stays in the log: telling customers what internal names resolve to
            # would map the provider's network for them.
            logger.warning("Webhook host %s refused: it resolves to %s.", host, address)
            raise UnsafeURL(
                f"The host {host} resolves to a private, loopback or reserved address, "
                "not a public address."
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, host, port, addresses[0], path)


def validate_webhook_url(url: str, *, resolver: Resolver | None = None) -> None:
    """Raise UnsafeURL unless the URL may receive webhooks."""
    safe_target(url, resolver=resolver)
