"""The X filtered stream end to end against the sandbox over HTTP: real time, backfill on
every connection, deduplication with polling, bad messages skipped, back-off, clean stop."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from app.channels.crypto import encrypt
from app.extensions import db
from app.jobs.poll import poll_channel
from app.jobs.registry import build_scheduler, wait_until
from app.jobs.stream import StreamManager
from app.models import Channel, Message, utcnow
from app.sandbox import SandboxStore, create_sandbox_app
from connectors.x_stream import MAX_MESSAGE_BYTES, rule_tag

BRAND_X_ID = "1600000000000000001"
STREAM_PATH = "/x/2/tweets/search/stream"


@dataclass
class Scripted:
    """WSGI middleware: the next stream connections answer what the test scripted (a status,
    or lines then a close); afterwards the sandbox's own stream; counts platform requests."""

    app: Any
    scripts: list[tuple[int, list[bytes]]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        with self.lock:
            self.requests.append(path)
            script = self.scripts.pop(0) if path == STREAM_PATH and self.scripts else None
        if script is None:
            return self.app(environ, start_response)
        status, lines = script
        if status != 200:
            start_response(f"{status} Error", [("Content-Type", "application/json")])
            return [json.dumps({"title": "Too Many Requests", "status": status}).encode()]
        start_response("200 OK", [("Content-Type", "application/json")])
        return iter([b"\r\n", *[line + b"\r\n" for line in lines]])

    def count(self, contains: str) -> int:
        with self.lock:
            return sum(1 for p in self.requests if contains in p)

    def connections(self) -> int:
        with self.lock:
            return sum(1 for p in self.requests if p == STREAM_PATH)


@dataclass
class Sandbox:
    root: str
    store: SandboxStore
    scripted: Scripted

    def mention(self, text: str = "@MarketplaceCare mon colis ?",
                handle: str = "julie") -> dict[str, Any]:
        response = requests.post(f"{self.root}/_api/posts", json={
            "network": "x", "kind": "mention", "handle": handle, "text": text}, timeout=5)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    inner = create_sandbox_app(str(tmp_path / "sandbox.sqlite"), stream_keepalive=0.3)
    scripted = Scripted(inner.wsgi_app)
    inner.wsgi_app = scripted  # type: ignore[method-assign]
    server = make_server("127.0.0.1", 0, DispatcherMiddleware(Flask("outer"),
                                                             {"/sandbox": inner}),
                         threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Sandbox(f"http://127.0.0.1:{server.server_port}/sandbox",
                      inner.extensions["sandbox_store"], scripted)
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def channel(app: Flask, sandbox: Sandbox, make_channel: Callable[..., Channel]) -> Channel:
    return make_channel("x", account_id=BRAND_X_ID, handle="MarketplaceCare",
                        api_base_url=f"{sandbox.root}/x", stream_enabled=True,
                        credentials_encrypted=encrypt({"bearer_token": "sandbox-token"},
                                                      list(app.config["FERNET_KEYS"])))


@pytest.fixture
def manager(app: Flask) -> Iterator[StreamManager]:
    from app.triage import prepare_process

    prepare_process()  # as the scheduler process does at start: the triage model is loaded
    streams = StreamManager(app)
    yield streams
    streams.stop_all()


def _stored(channel_id: int) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Message.platform_id)
                                   .where(Message.channel_id == channel_id)
                                   .order_by(Message.id)))


def _connected(manager: StreamManager, channel_id: int, times: int = 1) -> bool:
    worker = manager.workers.get(channel_id)
    return worker is not None and worker.connections >= times


def test_a_mention_arrives_through_the_stream_in_about_a_second(
        sandbox: Sandbox, channel: Channel, manager: StreamManager) -> None:
    manager.sync()
    assert wait_until(lambda: _connected(manager, channel.id), 10)
    rules = requests.get(f"{sandbox.root}/x/2/tweets/search/stream/rules",
                         headers={"Authorization": "Bearer t"}, timeout=5).json()
    assert rules["data"][0]["value"] == "@MarketplaceCare -from:MarketplaceCare"
    assert rules["data"][0]["tag"] == rule_tag(BRAND_X_ID)
    started = time.monotonic()
    post = sandbox.mention()
    assert wait_until(lambda: _stored(channel.id) == [post["id"]], 10)
    assert time.monotonic() - started < 2.0
    # Polling afterwards finds it and stores nothing twice.
    mentions_before = sandbox.scripted.count("/mentions")
    outcome = poll_channel(channel.id, backfill=True)
    assert outcome.state == "ok" and outcome.stored == 0
    assert sandbox.scripted.count("/mentions") == mentions_before + 1
    assert _stored(channel.id) == [post["id"]]
    db.session.expire_all()
    assert db.session.get(Channel, channel.id).stream_seen_at is not None


def test_every_connection_backfills_with_a_since_id_poll(
        sandbox: Sandbox, channel: Channel, manager: StreamManager) -> None:
    early = sandbox.mention("@MarketplaceCare posted while no stream was up")
    # The first connection closes at once (a platform restart): reconnected, backfilled again.
    sandbox.scripted.scripts.append((200, []))
    manager.sync()
    assert wait_until(lambda: _connected(manager, channel.id, 2), 10)
    assert wait_until(lambda: sandbox.scripted.count("/mentions") >= 2, 10)
    late = sandbox.mention("@MarketplaceCare after the reconnection")
    assert wait_until(lambda: _stored(channel.id) == [early["id"], late["id"]], 10)
    db.session.expire_all()
    cursor = db.session.get(Channel, channel.id).poll_cursor or {}
    assert int(cursor["since_id"]) >= int(early["id"])


def test_bad_stream_messages_are_logged_with_the_channel_and_skipped(
        sandbox: Sandbox, channel: Channel, manager: StreamManager,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "care.stream")
    tweet = {"data": {"id": "1900000000000000042", "text": "@MarketplaceCare allô ?",
                      "author_id": "2244994945", "created_at": "2026-12-07T05:00:00.000Z",
                      "edit_history_tweet_ids": ["1900000000000000042"]},
             "includes": {"users": [{"id": "2244994945", "name": "Julie",
                                     "username": "julie"}]},
             "matching_rules": [{"id": "1", "tag": rule_tag(BRAND_X_ID)}]}
    good = json.dumps(tweet).encode()
    sandbox.scripted.scripts.append((200, [
        b"{not json", b"[1, 2]", json.dumps({"data": "text"}).encode(),
        b"{" + b" " * (MAX_MESSAGE_BYTES + 10) + b"}",
        json.dumps({"data": {"text": "no id"}}).encode(),
        good, good,  # the same post twice: stored once
    ]))
    manager.sync()
    assert wait_until(lambda: _stored(channel.id) == ["1900000000000000042"], 10)
    assert wait_until(lambda: _connected(manager, channel.id, 2), 10)  # and it goes on
    assert _stored(channel.id) == ["1900000000000000042"]
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 5
    assert all(f"stream of channel {channel.id}" in line for line in skipped)
    assert manager.workers[channel.id].is_alive()


def test_an_http_error_backs_off_and_stop_ends_the_wait_at_once(
        sandbox: Sandbox, channel: Channel, manager: StreamManager) -> None:
    sandbox.scripted.scripts.append((429, []))
    manager.sync()
    worker = manager.workers[channel.id]
    assert wait_until(lambda: worker.last_end is not None, 10)
    assert worker.last_end is not None
    assert worker.last_end.kind == "http" and worker.last_end.status == 429
    time.sleep(1.0)
    # X asks for a minute's wait after a 429: no second connection meanwhile.
    assert sandbox.scripted.connections() == 1 and worker.connections == 0
    started = time.monotonic()
    manager.stop_all()
    assert not worker.is_alive() and time.monotonic() - started < 2.0


def test_stopping_the_stream_stores_nothing_more(
        sandbox: Sandbox, channel: Channel, manager: StreamManager) -> None:
    manager.sync()
    assert wait_until(lambda: _connected(manager, channel.id), 10)
    worker = manager.workers[channel.id]
    started = time.monotonic()
    manager.stop_all()
    assert time.monotonic() - started < 3.0 and not worker.is_alive()
    sandbox.mention("@MarketplaceCare after the stop")
    time.sleep(1.0)
    assert _stored(channel.id) == []
    manager.sync()  # a stopped manager starts nothing again
    assert manager.workers == {}


def test_the_streams_live_and_die_with_the_scheduler(
        app: Flask, sandbox: Sandbox, channel: Channel) -> None:
    scheduler = build_scheduler(app)
    assert scheduler.get_job("streams.sync") is not None
    streams = app.extensions["care_streams"]
    scheduler.start()
    try:
        assert wait_until(lambda: _connected(streams, channel.id), 15)
        worker = streams.workers[channel.id]
    finally:
        scheduler.shutdown(wait=True)
    assert wait_until(lambda: not worker.is_alive(), 5)
    assert "care_streams" not in app.extensions


def test_while_the_stream_delivers_only_direct_messages_are_polled(
        sandbox: Sandbox, channel: Channel) -> None:
    now = utcnow()
    channel.stream_seen_at = now
    channel.public_polled_at = now
    db.session.commit()
    outcome = poll_channel(channel.id)
    assert outcome.state == "ok"
    assert sandbox.scripted.count("/mentions") == 0
    assert sandbox.scripted.count("/dm_events") == 1
    # The stream silent for longer than STREAM_QUIET_SECONDS: polling takes over again.
    channel = db.session.get(Channel, channel.id)
    channel.stream_seen_at = now.replace(year=now.year - 1)
    db.session.commit()
    poll_channel(channel.id)
    assert sandbox.scripted.count("/mentions") == 1
