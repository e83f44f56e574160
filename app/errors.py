"""Error pages: never a stack trace to the user."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from app.extensions import db

log = logging.getLogger("care.errors")


def _page(code: int) -> Any:
    template = f"errors/{code}.html" if code in (403, 404, 429) else "errors/generic.html"
    if request.accept_mimetypes.best == "application/json":
        return {"error": code}, code
    try:
        return render_template(template, code=code), code
    except Exception:  # the error page itself failed: answer plainly rather than loop
        log.exception("error page %s failed to render", code)
        return f"Error {code}", code, {"Content-Type": "text/plain; charset=utf-8"}


def init_app(app: Flask) -> None:
    """Install error handlers."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if exc.code is None or exc.code < 400:
            return exc
        return _page(exc.code)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        log.exception("unhandled error on %s", request.path)
        # Whatever the failed request had pending must not leak into the next one.
        db.session.rollback()
        return _page(500)
