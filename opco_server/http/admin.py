"""Who may reach the sandbox's own surfaces (control API, console) and from where.

Pure decisions over a request's headers, shared by the routing middleware (control API) and
the console: the admin token, the Host a request names (DNS rebinding), and whether a write
comes from another site (CSRF). Nothing here reads a database or a framework request.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from opco_server.config import Settings

CONTROL_PREFIX = "/_sandbox"
CONSOLE_PREFIX = "/console"
# The control API's liveness probe: public, for orchestrators; it says nothing secret.
HEALTH_PATH = CONTROL_PREFIX + "/health"
# Host names a loopback server answers to when nothing else is configured.
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sec-Fetch-Site values a write may carry (a browser's own page, or the user typing a URL).
SAME_ORIGIN_FETCH = frozenset({"same-origin", "none"})


def headers_of(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """ASGI headers as a dict, names lower-cased (the last value of a repeated name wins)."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}


def offered_token(headers: Mapping[str, str]) -> str:
    """The admin token a request offers: X-Admin-Token, or Authorization: Bearer …"""
    direct = headers.get("x-admin-token", "").strip()
    if direct:
        return direct
    scheme, _, value = headers.get("authorization", "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def token_matches(expected: str, offered: str) -> bool:
    """Constant-time comparison (of UTF-8 bytes: hmac refuses non-ASCII str)."""
    return bool(offered) and hmac.compare_digest(offered.encode(), expected.encode())


def host_name(host_header: str) -> str:
    """`Host: Example.org:8000` → `example.org`; `[::1]:8000` → `::1`."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def host_enforced(settings: Settings) -> bool:
    """The Host check applies when names are configured, or when no admin token guards the
    control API and the console (then a page served by any DNS name resolving to this machine
    must not drive them: DNS rebinding)."""
    return settings.hotes is not None or settings.admin_token is None


def host_allowed(settings: Settings, host_header: str) -> bool:
    names = settings.hotes if settings.hotes is not None else LOOPBACK_NAMES
    if "*" in names:
        return True
    name = host_name(host_header)
    return name in names or name.endswith(".localhost")


def is_loopback(host: str) -> bool:
    """Is a listening address reachable from this machine only?"""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # any other name may resolve to a public address


def foreign_origin(headers: Mapping[str, str]) -> str | None:
    """Why a write comes from another site, or None.

    A browser names the page that sent a cross-origin request in `Origin` (and, recent ones,
    the relation in `Sec-Fetch-Site`); a client outside a browser (curl, a vendor's test
    suite) sends neither. `Origin: null` (sandboxed frames, file pages) is foreign.
    """
    fetch_site = headers.get("sec-fetch-site", "").strip().lower()
    if fetch_site and fetch_site not in SAME_ORIGIN_FETCH:
        return f"Sec-Fetch-Site: {fetch_site}"
    origin = headers.get("origin")
    if origin is None:
        return None
    host = headers.get("host", "").strip().lower()
    netloc = urlsplit(origin.strip().lower()).netloc if origin.strip() != "null" else ""
    if not netloc or netloc != host:
        return "Origin"
    return None


def media_type(content_type: str) -> str:
    """`Application/JSON; charset=UTF-8` → `application/json` (media types ignore case)."""
    return content_type.partition(";")[0].strip().lower()
