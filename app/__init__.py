"""Care Console: the application factory.

``create_app`` only wires things up: it opens no connection, creates no table and reads
secrets only through the settings loader.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, request
from flask_login import current_user
from sqlalchemy import event

from app.extensions import babel, csrf, db, limiter, login_manager, socketio
from app.models.types import json_loads
from app.serving import init_server_timing, resolve_async_mode

# The thread aggregate's ORM hook (``sla_due``) must be registered before any flush.
from app.threads import due as _thread_due  # noqa: F401
from config import load_settings


def _database_uri(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; the driver installed is psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the poller write while web threads read; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    # A multi-row write inside a transaction keeps a statement journal (to undo just that
    # statement); past 64 KiB SQLite spilled it to a temporary file: a quarter of the
    # writes a polled page made (strace: 4,178 of 15,911 per 3,100 mentions). In memory.
    cursor.execute("PRAGMA temp_store=MEMORY")
    # 16 MiB of page cache (the default is 2): the inbox's indexes stay cached between
    # polls instead of being read back from the write-ahead log.
    cursor.execute("PRAGMA cache_size=-16384")
    cursor.close()


def select_locale() -> str:
    """The user's own language, then the browser's, then the default."""
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    from flask import current_app

    best = request.accept_languages.best_match(["en", "fr"]) if request else None
    return best or current_app.config["DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Dates are shown in the brand's time zone."""
    from flask import current_app

    return current_app.config["TIMEZONE"]


def create_app(settings: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app; ``settings`` overrides the defaults table (tests)."""
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="static",
        instance_relative_config=True,
    )
    values = load_settings(app.instance_path, overrides=settings)
    app.config.update(values)
    app.config.update(
        SECRET_KEY=values["SECRET_KEY"],
        SQLALCHEMY_DATABASE_URI=_database_uri(values["DATABASE_URL"]),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=values["ENV"] == "production",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE=values["DEFAULT_LOCALE"],
        BABEL_DEFAULT_TIMEZONE=values["TIMEZONE"],
        RATELIMIT_STORAGE_URI=values["REDIS_URL"] or "memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        # Redis away: the routes' own limits count in this process's memory, never a 500.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        TESTING=values["ENV"] == "testing",
    )
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"timeout": 30, "check_same_thread": False},
            "json_deserializer": json_loads,
        }
    else:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "pool_size": 10,
                                                   "json_deserializer": json_loads}

    db.init_app(app)
    from app import migrations_cli

    migrations_cli.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    limiter.init_app(app)
    # Socket handlers are declared before the server exists, so that Flask-SocketIO keeps them
    # and installs them on every server it builds (one per app).
    from app.dashboard import events as _dashboard_events  # noqa: F401
    from app.realtime import events as _socket_events  # noqa: F401

    # Flask-SocketIO keeps the previous app's queue manager in its options; each app must get
    # the one its own settings ask for (several apps live in one process in tests).
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        async_mode=resolve_async_mode(values["ASYNC_MODE"]),
        message_queue=values["REDIS_URL"] or None,
        # Only the console's own origin may open a socket (the default same-origin check).
        cors_allowed_origins=None,
        logger=False,
        engineio_logger=False,
    )
    from app.realtime.presence import make_store

    app.extensions["care_presence"] = make_store(values["REDIS_URL"] or None)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)

    from app import errors, filters, hardening, security
    from app.admin import bp as admin_bp
    from app.auth import bp as auth_bp
    from app.canned import bp as canned_bp
    from app.channels import bp as channels_bp
    from app.dashboard.views import bp as dashboard_bp
    from app.inbox import bp as inbox_bp
    from app.private import bp as private_bp
    from app.review import bp as review_bp
    from app.status.views import bp as status_bp
    from app.surveys.views import bp as surveys_bp
    from app.tickets import bp as tickets_bp
    from app.webhooks import bp as webhooks_bp

    hardening.init_app(app)  # before the blueprints: their int routes use its converter
    security.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
    init_server_timing(app)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(channels_bp)
    app.register_blueprint(tickets_bp)
    app.register_blueprint(webhooks_bp)
    app.register_blueprint(private_bp)
    app.register_blueprint(canned_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(surveys_bp)
    app.register_blueprint(status_bp)

    from app.corrections import bp as corrections_bp
    from app.corrections.cli import triage_cli

    app.register_blueprint(corrections_bp)
    app.cli.add_command(triage_cli)

    from app import cli

    cli.init_app(app)

    if values["SANDBOX"]:
        _mount_sandbox(app)

    logging.getLogger("care").setLevel(logging.INFO)
    return app


def _mount_sandbox(app: Flask) -> None:
    """Serve the built-in platform sandbox under /sandbox (demo, training, tests)."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from app.sandbox import create_sandbox_app

    secret = app.config.get("FACEBOOK_APP_SECRET") or None
    sandbox = create_sandbox_app(
        app.config["SANDBOX_DB"], webhook_secret=secret,
        webhook_url=f"{app.config['PUBLIC_URL'].rstrip('/')}/webhooks/facebook")
    # Flask's documented way to wrap the WSGI app in middleware: an instance attribute
    # replacing the method, which type checkers flag.
    app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, {"/sandbox": sandbox})
