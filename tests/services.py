"""Find out whether an outside service is here; skip or fail as REQUIRE_SERVICES says."""

import os
import shutil
import socket

import pytest

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "") == "1"


def unavailable(what: str, hint: str) -> None:
    """Skip the test with an install hint, or fail it when services are required."""
    message = f"{what} is not available: {hint}"
    if services_required():
        pytest.fail(f"REQUIRE_SERVICES=1 but {message}", pytrace=False)
    pytest.skip(message)


def redis_reachable(url: str = REDIS_URL) -> bool:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def chromium_available() -> bool:
    return shutil.which(CHROMIUM) is not None
