"""How the web process serves: the Socket.IO async mode, and the benchmarks' timing header.

The async mode follows ``CARE_ASYNC_MODE``. ``auto`` (the default) reads how the process was
started: under ``gunicorn -k gevent`` the worker monkey-patches the standard library before
it imports the app, so sockets, locks and the database driver's waits are cooperative and
one process holds hundreds of websockets (one greenlet each); anywhere else (``make run``,
the scheduler, the CLI) it is ``threading``. Switching is a matter of the command line, not
of code.

``CARE_SERVER_TIMING`` adds a ``Server-Timing`` header to every response, splitting the
server's time into SQL (cursor executions), templates and the rest. It is meant for the
benchmarks: when the setting is off nothing is registered at all.
"""

from __future__ import annotations

import gc
import logging
import sys
import time
from typing import Any

from flask import Flask, Response, g, has_app_context, template_rendered
from flask.signals import before_render_template, request_started

log = logging.getLogger("care.serving")

ASYNC_MODES = ("threading", "gevent")


def gevent_patched() -> bool:
    """True when gevent has monkey-patched this process's sockets (gunicorn -k gevent)."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is None:
        return False
    return bool(monkey.is_module_patched("socket"))


def resolve_async_mode(setting: str) -> str:
    """The Socket.IO async mode for the ``CARE_ASYNC_MODE`` value ``setting``.

    ``gevent`` in a process gevent did not patch would serve nothing concurrently (the
    standard library's sockets block the hub), so it is said once in the log.
    """
    if setting == "auto":
        return "gevent" if gevent_patched() else "threading"
    if setting not in ASYNC_MODES:
        raise ValueError(f"unknown async mode {setting!r}; expected auto or one of "
                         f"{', '.join(ASYNC_MODES)}")
    if setting == "gevent" and not gevent_patched():
        log.warning("CARE_ASYNC_MODE=gevent but gevent has not patched this process; "
                    "serve it with `gunicorn -k gevent -w 1 wsgi:app`")
    return setting


def freeze_startup_objects() -> None:
    """Leave the objects made while the app started out of the garbage collector's passes.

    The modules, the routes, the templates and the mappers (about 185,000 objects) live as
    long as the process, yet every full collection walked them all: on a 500-message thread
    page, which allocates enough to trigger several, the collector took about 27 ms of CPU
    (8 ms once frozen). ``gc.freeze`` moves them to a generation it never scans; what is
    already garbage is collected first so that it is not kept for good. Called once, by the
    served entry point (``wsgi.py``), not by ``create_app``: a test process builds many apps.
    """
    gc.collect()
    gc.freeze()


# --- Server-Timing (benchmarks only) ------------------------------------------------------

_KEY = "care_server_timing"


class _Timing:
    """What one request spent: SQL and templates, in seconds, from the request's start."""

    __slots__ = ("cursor_started", "queries", "render", "render_started", "sql", "started")

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.sql = 0.0
        self.queries = 0
        self.render = 0.0
        # (clock, SQL so far) at each template's start, innermost last.
        self.render_started: list[tuple[float, float]] = []
        self.cursor_started = 0.0


def _current() -> _Timing | None:
    if not has_app_context():
        return None
    timing: _Timing | None = g.get(_KEY)
    return timing


def _on_request_started(_sender: Any, **_extra: Any) -> None:
    setattr(g, _KEY, _Timing())


def _before_cursor(*_args: Any) -> None:
    timing = _current()
    if timing is not None:
        timing.cursor_started = time.perf_counter()


def _after_cursor(*_args: Any) -> None:
    timing = _current()
    if timing is not None and timing.cursor_started:
        timing.sql += time.perf_counter() - timing.cursor_started
        timing.queries += 1
        timing.cursor_started = 0.0


def _before_render(_sender: Any, **_extra: Any) -> None:
    timing = _current()
    if timing is not None:
        timing.render_started.append((time.perf_counter(), timing.sql))


def _after_render(_sender: Any, **_extra: Any) -> None:
    timing = _current()
    if timing is not None and timing.render_started:
        started, sql_before = timing.render_started.pop()
        # A template rendered from inside another counts once, in the outer one; SQL run
        # while it renders (lazy loads) counts as SQL, not as rendering.
        if not timing.render_started:
            timing.render += time.perf_counter() - started - (timing.sql - sql_before)


def _add_header(response: Response) -> Response:
    timing = _current()
    if timing is None:
        return response
    total = time.perf_counter() - timing.started
    response.headers["Server-Timing"] = (
        f'sql;dur={timing.sql * 1000:.2f};desc="{timing.queries} queries", '
        f"render;dur={timing.render * 1000:.2f}, total;dur={total * 1000:.2f}")
    return response


def parse_server_timing(header: str) -> dict[str, float]:
    """``{"sql": ms, "render": ms, "total": ms}`` from a Server-Timing header (bench, tests)."""
    figures: dict[str, float] = {}
    for part in header.split(","):
        name, _, rest = part.strip().partition(";")
        for attribute in rest.split(";"):
            key, _, value = attribute.strip().partition("=")
            if key == "dur":
                figures[name.strip()] = float(value)
    return figures


def init_server_timing(app: Flask) -> None:
    """Time SQL and templates per request when ``CARE_SERVER_TIMING`` is on (else nothing)."""
    if not app.config.get("SERVER_TIMING"):
        return
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", _before_cursor)
    event.listen(engine, "after_cursor_execute", _after_cursor)
    request_started.connect(_on_request_started, app)
    before_render_template.connect(_before_render, app)
    template_rendered.connect(_after_render, app)
    app.after_request(_add_header)
