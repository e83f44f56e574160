"""Shared fixtures: the app on SQLite (default) or on DATABASE_URL, factories, log-in.

A service named in the environment (DATABASE_URL, REDIS_URL) must be reachable: when it
is not, the run stops with an error instead of skipping, so CI cannot pass by accident.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from app.extensions import db, limiter, socketio
from app.models import Author, Brand, Channel, Message, Thread, User, utcnow
from tests.helpers import (
    ARTIFACTS,
    CHROMIUM,
    DATABASE_URL,
    REDIS_URL,
    TEST_PASSWORD,
    app_settings,
)

_HASHES: dict[str, str] = {}


def _require_services() -> None:
    if DATABASE_URL:
        import sqlalchemy

        try:
            engine = sqlalchemy.create_engine(_sa_url(DATABASE_URL))
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
        except Exception as exc:  # any failure to reach the database stops the run
            pytest.exit(f"DATABASE_URL is set but unreachable: {exc}", returncode=3)
    if REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
        except Exception as exc:
            pytest.exit(f"REDIS_URL is set but unreachable: {exc}", returncode=3)


def _sa_url(url: str) -> str:
    from app import _database_uri

    return _database_uri(url)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail fast when a requested service or the required browser is missing."""
    _require_services()
    if os.environ.get("TEST_REQUIRE_BROWSER") and not Path(CHROMIUM).exists():
        pytest.exit(f"TEST_REQUIRE_BROWSER is set but {CHROMIUM} is missing", returncode=3)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test database: DATABASE_URL when given, else a SQLite file."""
    if DATABASE_URL:
        return DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    Without this, requests would reuse the test's app context and share its ``g`` (cached
    user, cached locale) and its database session.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    """One app for the session; the schema is created once, rows are cleared per test."""
    application = create_app(app_settings(database_url))
    application.config["WTF_CSRF_ENABLED"] = False
    application.test_client_class = IsolatedClient
    # SocketIO is a module-level extension: another create_app() in a test rebinds it.
    application.extensions["care_socketio_server"] = socketio.server
    with application.app_context():
        db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _clear_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        # TRUNCATE costs a file operation per table (most of a second for all of them), so
        # only the tables a test touched are truncated: those with rows, and those whose id
        # sequence moved (rows written, then deleted), so ids restart at 1 as before.
        touched = set(db.session.scalars(text(" UNION ALL ".join(
            f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in tables))))
        touched |= set(db.session.scalars(text(
            "SELECT t.relname FROM pg_sequences ps"
            " JOIN pg_class s ON s.relname = ps.sequencename AND s.relkind = 'S'"
            " JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')"
            " JOIN pg_class t ON t.oid = d.refobjid"
            " WHERE ps.schemaname = current_schema() AND ps.last_value IS NOT NULL")))
        dirty = [name for name in tables if name in touched]
        if dirty:
            db.session.execute(text(f"TRUNCATE {', '.join(dirty)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.commit()


@pytest.fixture(autouse=True)
def _isolation(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests that use the app start from empty tables and fresh rate limits."""
    if "app" not in request.fixturenames:
        yield
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        limiter.reset()
        application.extensions["care_presence"].clear()
        socketio.server = application.extensions["care_socketio_server"]
        yield
        # Flask-SocketIO's test client patches the server's packet senders for good; undo it
        # so that real sockets (live server, browsers) in later tests are not swallowed.
        server = socketio.server
        for name in ("_send_packet", "_send_eio_packet"):
            if server is not None and name in vars(server):
                delattr(server, name)
        db.session.rollback()
        _clear_tables()
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client (CSRF off; the CSRF tests turn it on)."""
    return app.test_client()


def _hash(password: str) -> str:
    if password not in _HASHES:
        from app.auth.passwords import hash_password

        _HASHES[password] = hash_password(password)
    return _HASHES[password]


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Factory: make_user(role="agent", **fields) -> committed User."""
    counter = iter(range(1, 10_000))

    def make(role: str = "agent", password: str = TEST_PASSWORD, **fields: Any) -> User:
        n = next(counter)
        values: dict[str, Any] = {"email": f"{role}{n}@example.com",
                                  "name": f"{role.title()} Person{n}",
                                  "role": role, "password_hash": _hash(password)}
        values.update(fields)
        user = User(**values)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_channel(app: Flask) -> Callable[..., Channel]:
    """Factory: make_channel(network="x", **fields) -> committed Channel (and its brand)."""
    counter = iter(range(1, 10_000))

    def make(network: str = "x", brand: Brand | None = None, **fields: Any) -> Channel:
        n = next(counter)
        if brand is None:
            brand = db.session.scalar(db.select(Brand).filter_by(slug="test-brand"))
            if brand is None:
                brand = Brand(name="Test Brand", slug="test-brand", settings={})
                db.session.add(brand)
        values: dict[str, Any] = {"network": network, "name": f"{network} channel {n}",
                                  "account_id": f"{network}-acct-{n}", "handle": f"Brand{n}"}
        values.update(fields)
        channel = Channel(brand=brand, **values)
        db.session.add(channel)
        db.session.commit()
        return channel

    return make


@pytest.fixture
def make_author(app: Flask) -> Callable[..., Author]:
    """Factory: make_author(**fields) -> committed Author."""
    counter = iter(range(1, 10_000))

    def make(network: str = "x", **fields: Any) -> Author:
        n = next(counter)
        values: dict[str, Any] = {"network": network, "platform_id": f"author-{n}",
                                  "handle": f"customer{n}", "display_name": f"Customer {n}",
                                  "followers": 100 * n, "segment": "private"}
        values.update(fields)
        author = Author(**values)
        db.session.add(author)
        db.session.commit()
        return author

    return make


@pytest.fixture
def make_thread(
    app: Flask, make_channel: Callable[..., Channel], make_author: Callable[..., Author]
) -> Callable[..., Thread]:
    """Factory: make_thread(text=..., **fields) -> committed Thread with one inbound message."""
    counter = iter(range(1, 100_000))

    def make(text: str = "Where is my parcel?", channel: Channel | None = None,
             author: Author | None = None, **fields: Any) -> Thread:
        n = next(counter)
        channel = channel or make_channel()
        author = author or make_author(network=channel.network)
        at = fields.pop("last_message_at", utcnow())
        thread = Thread(channel=channel, author=author, origin_platform_id=f"origin-{n}",
                        subject=text[:120], last_message_at=at, created_at=at, **fields)
        db.session.add(thread)
        db.session.add(Message(thread=thread, channel_id=channel.id, platform_id=f"msg-{n}",
                               direction="in", kind="mention", text=text, author=author,
                               platform_created_at=at, received_at=at))
        db.session.commit()
        return thread

    return make


@pytest.fixture
def login(client: FlaskClient) -> Callable[..., Any]:
    """login(user, password=TEST_PASSWORD) logs the test client in and returns the response."""

    def do(user: User, password: str = TEST_PASSWORD, c: FlaskClient | None = None) -> Any:
        return (c or client).post("/login", data={"email": user.email, "password": password})

    return do


# --- live server and browser -------------------------------------------------------------

@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the test app over HTTP on a free loopback port, in a thread."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; skipped with a reason when absent."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("TEST_REQUIRE_BROWSER"):
            pytest.fail(f"browser tests required but {CHROMIUM} is missing")
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic",
                  "--no-first-run"],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Git-ignored folder for the screenshots taken by browser tests."""
    path = ARTIFACTS / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run last: they are the slowest and the most telling when they fail."""
    items.sort(key=lambda item: 1 if item.get_closest_marker("browser") else 0)


