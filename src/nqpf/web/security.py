"""Safety helpers for the dashboard: formula-injection neutralisation, streaming size limits, and keeping
other web sites out.

* **DNS rebinding**: a page on ``evil.example`` whose name is re-pointed at 127.0.0.1 reaches the server
  with ``Host: evil.example``. Only loopback names (``localhost``, 127.0.0.0/8, ``::1``) and names given with
  ``--host`` / ``--allowed-host`` are answered; any other ``Host`` gets 400 ``host_not_allowed``.
* **CSRF**: browsers send ``Origin`` (or at least ``Referer``) with a cross-site POST, including no-cors
  fetches. A state-changing request (POST, PUT, PATCH, DELETE) whose ``Origin``/``Referer`` is not this very
  host gets 403 ``origin_forbidden``; an opaque ``Origin: null`` too. Requests without either header come from
  non-browser clients (curl, scripts) and pass. Uploads also need ``application/octet-stream`` (a content type
  a cross-site no-cors request cannot send) or ``multipart/form-data`` (checked in the upload endpoint).
* **Headers** on every answer: ``X-Content-Type-Options: nosniff``, a ``Content-Security-Policy`` allowing
  only the dashboard's own scripts, styles and API (``frame-ancestors 'none'``: no framing, no clickjacking),
  ``Referrer-Policy: no-referrer``, ``X-Frame-Options: DENY``, ``Cross-Origin-Opener-Policy`` and
  ``Cross-Origin-Resource-Policy: same-origin``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from nqpf._util import FORMULA_PREFIXES, neutralise_cell, neutralise_frame
from nqpf.web.guard import Rejected

# formula-injection neutralisation is shared with every CSV/XLSX writer of nqpf (nqpf._util)
__all__ = ["CSP", "DOCS_CSP", "FORMULA_PREFIXES", "LOOPBACK_NAMES", "TooLarge", "allowed_host_names", "check_request",
           "host_name", "neutralise_cell", "neutralise_frame", "security_headers"]

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_BINDS = frozenset({"0.0.0.0", "::", ""})
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# the dashboard's pages load only /static/*.js|css and call /api on the same origin; ECharts draws on canvas
# and sets inline style attributes (hence 'unsafe-inline' for styles only; scripts stay 'self')
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
# FastAPI's /docs and /redoc pages load Swagger UI / ReDoc from a CDN and start them with an inline script;
# they show the API schema only (no user data), so they get this wider policy, still unframeable
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
            "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com; "
            "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class TooLarge(Exception):
    """The request body exceeded the configured limit."""

    def __init__(self, limit: int):
        super().__init__(f"upload exceeds the limit of {limit} bytes")
        self.limit = limit


def host_name(host: str) -> str:
    """The name part of a ``Host`` header or URL netloc, lower case, without port or trailing dot:
    ``[::1]:8000`` → ``::1``, ``LocalHost.:80`` → ``localhost``."""
    h = host.strip().lower()
    if h.startswith("["):
        h = h[1:h.index("]")] if "]" in h else h[1:]
    elif h.count(":") == 1:
        h = h.split(":", 1)[0]
    return h.rstrip(".")


def _is_loopback(name: str) -> bool:
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def allowed_host_names(extra: Iterable[str] = ()) -> frozenset[str]:
    """Loopback names plus ``extra`` (``--host`` unless a wildcard bind, and each ``--allowed-host``)."""
    names = {host_name(h) for h in extra if h and h.strip() not in WILDCARD_BINDS}
    return frozenset(LOOPBACK_NAMES | names)


def _same_origin(url: str, host: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.strip().lower()


def check_request(method: str, headers: Mapping[str, str], allowed: frozenset[str]) -> None:
    """Raise :class:`Rejected` for a foreign ``Host`` (400) or a cross-site state change (403)."""
    host = headers.get("host", "")
    name = host_name(host)
    if not name or not (name in allowed or _is_loopback(name)):
        raise Rejected(400, "host_not_allowed", host=host[:80] or "-")
    if method.upper() not in STATE_CHANGING:
        return
    origin = headers.get("origin")
    if origin is not None:
        if not _same_origin(origin, host):
            raise Rejected(403, "origin_forbidden", origin=origin[:80])
        return
    referer = headers.get("referer")
    if referer is not None and not _same_origin(referer, host):
        parts = urlsplit(referer)
        raise Rejected(403, "origin_forbidden", origin=f"{parts.scheme}://{parts.netloc}"[:80])


def security_headers(path: str = "/") -> dict[str, str]:
    """Headers added to every answer (see the module docstring); ``DOCS_CSP`` for the API docs pages."""
    out = dict(_HEADERS)
    if path in DOCS_PATHS:
        out["Content-Security-Policy"] = DOCS_CSP
    return out
