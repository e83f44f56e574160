"""Browser security headers and bounded ids in URLs, for every route of the app.

Headers come from Flask-Talisman (maintained, not hand-written): a Content-Security-Policy
with no inline script or style (templates load ``/static`` files only; data for scripts
travels in ``<script type="application/json">`` blocks, which are never executed),
``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``, ``nosniff``, a referrer policy,
and HSTS in production only (sent on HTTPS requests, or behind a proxy saying so). Without
'unsafe-eval', browser tests pass functions to Playwright's ``wait_for_function`` (a bare
expression string is run through ``eval``, which the policy refuses).

Ids: every ``<int:...>`` in a route is bounded by the database's integer range, so that
``/inbox/threads/99999999999999999999999`` is a plain 404 instead of an overflow in the
database driver (PostgreSQL ``integer`` is 32-bit).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask_talisman import Talisman
from werkzeug.routing import IntegerConverter, Map

#: The largest primary key the schema can hold (PostgreSQL ``integer``; SQLite's is larger).
MAX_DB_INT = 2**31 - 1

talisman = Talisman()

# Thumbnails of customers' photos come from the platforms' CDNs (https). Socket.IO's
# WebSocket is added per app from PUBLIC_URL (Chromium does not match ws: to 'self').
CSP: dict[str, Any] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:", "https:"],
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


class DatabaseInt(IntegerConverter):
    """``int`` in routes, refusing (404) anything beyond the database's integer range."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_DB_INT)
        super().__init__(url_map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Bound route ids (call before any blueprint is registered) and set the headers."""
    app.url_map.converters["int"] = DatabaseInt
    production = app.config.get("ENV") == "production"
    host = urlsplit(str(app.config.get("PUBLIC_URL") or "")).hostname or "localhost"
    policy = {**CSP, "connect-src": ["'self'", f"ws://{host}:*", f"wss://{host}:*"]}
    talisman.init_app(
        app,
        force_https=False,  # TLS ends at the proxy; it redirects, HSTS keeps browsers there
        strict_transport_security=production,
        content_security_policy=policy,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        session_cookie_secure=production,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        x_content_type_options=True,
    )
