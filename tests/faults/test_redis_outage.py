"""A Redis outage during log-in and a reply: no 500, the limits fall back, nothing lost."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest
from flask import Flask

import app.outbox.services as outbox
from app.auth import throttle
from app.extensions import db
from app.models import Channel, Message, SendState, Thread, User
from app.realtime import services as live
from tests.faults.conftest import RedisServer
from tests.helpers import TEST_PASSWORD
from tests.jobs.sandbox_http import HttpSandbox
from tests.outbox.helpers import sandbox_thread


@pytest.fixture(autouse=True)
def _fresh_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(throttle, "_fallback", throttle._Fallback())


def test_log_in_works_while_redis_is_down_with_limits_in_memory(
        redis_app: Flask, redis_server: RedisServer, make_user: Callable[..., User],
        caplog: pytest.LogCaptureFixture) -> None:
    user = make_user("agent")
    redis_server.kill()
    client = redis_app.test_client()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="care.auth"):
        ok = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert ok.status_code == 302, ok.status_code  # logged in, not a 500
    print(f"\nlog-in with Redis down answered in {time.monotonic() - started:.2f}s")
    assert throttle.degraded()
    assert any("memory" in r.getMessage() for r in caplog.records)
    assert client.get("/inbox").status_code == 200
    # Routes with their own rate limits answer too (Flask-Limiter's in-memory fallback).
    assert client.get("/status/no-such-brand.json").status_code == 404
    # The limits still hold, counted in this process: the account's own limit (5 per 15 min).
    other = redis_app.test_client()
    codes = [other.post("/login", data={"email": user.email, "password": "wrong-one"}
                        ).status_code for _ in range(6)]
    assert 500 not in codes
    refused = other.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert refused.status_code != 302  # locked out by the in-memory counters
    # Redis returns: the shared counters are used again (after the retry pause).
    redis_server.start()
    time.sleep(throttle.RETRY_STORAGE_SECONDS)
    third = redis_app.test_client()
    back = third.post("/login", data={"email": make_user("agent").email,
                                      "password": TEST_PASSWORD})
    assert back.status_code == 302 and not throttle.degraded()


def test_reply_sends_while_redis_is_down_and_never_500s(
        redis_app: Flask, redis_server: RedisServer, http_sandbox: HttpSandbox,
        sandbox_channel: Callable[..., Channel], make_user: Callable[..., User]) -> None:
    agent = make_user("agent", name="Marie Lefèvre", signature="^Marie")
    with redis_app.app_context():
        thread = sandbox_thread(http_sandbox, sandbox_channel)
        thread_id, version, parent = thread.id, thread.version, thread.messages[-1].platform_id
    client = redis_app.test_client()
    assert client.post("/login", data={"email": agent.email,
                                       "password": TEST_PASSWORD}).status_code == 302
    redis_server.kill()
    # The page loads (presence degraded), and a reply with its page's version is sent once.
    assert client.get(f"/inbox/threads/{thread_id}").status_code == 200
    data = {"body": "Nous regardons votre commande", "idempotency_key": "outage-1",
            "version": str(version)}
    first = client.post(f"/inbox/threads/{thread_id}/reply", data=data)
    again = client.post(f"/inbox/threads/{thread_id}/reply", data=data)
    assert first.status_code == 302 and again.status_code == 302
    with redis_app.app_context():
        sent = db.session.scalars(db.select(Message).filter_by(idempotency_key="outage-1")).all()
        assert [m.send_state for m in sent] == [SendState.SENT.value]
    brand = [r for r in http_sandbox.timeline(network="x", kind="tweet")
             if r["from_brand"] and r["parent_id"] == parent]
    assert len(brand) == 1
    # The database row's own state stands in for the lock: a draft written on a page older
    # than the reply just sent (someone else may have answered) is refused, and kept.
    stale = client.post(f"/inbox/threads/{thread_id}/reply",
                        data={"body": "Second essai", "idempotency_key": "outage-2",
                              "version": str(version)})
    assert stale.status_code == 303
    page = client.get(stale.location).get_data(as_text=True)
    assert "Second essai" in page
    with redis_app.app_context():
        assert db.session.scalar(db.select(Message).filter_by(idempotency_key="outage-2")) \
            is None
        # A caller without a version (no page to vouch for the thread) is refused, not 500.
        me = db.session.get(User, agent.id)
        current = db.session.get(Thread, thread_id)
        assert me is not None and current is not None
        with pytest.raises(outbox.SendRefused) as refused:
            outbox.reply(me, current, "Troisième", idempotency_key="outage-3")
        assert refused.value.code == "lock_unavailable"
    # Redis returns: the lock is consulted again.
    redis_server.start()
    with redis_app.app_context():
        assert live.lock_holder(thread_id) is None


def test_publish_while_redis_is_down_is_logged_and_reported_degraded(
        redis_app: Flask, redis_server: RedisServer) -> None:
    from app.models import RealtimeEvent
    from app.realtime.health import CHECK_EVERY_SECONDS, queue_health
    from app.realtime.publish import INBOX_ROOM, last_seq_in, publish

    with redis_app.app_context():
        assert queue_health().degraded() is False
        redis_server.kill()
        time.sleep(CHECK_EVERY_SECONDS)
        seq = publish("probe", {"n": 1}, INBOX_ROOM)
        db.session.commit()  # emitting fails inside the hook; the commit stands
        assert db.session.get(RealtimeEvent, seq) is not None
        assert last_seq_in([INBOX_ROOM]) == seq  # what browsers' heartbeats compare with
        assert queue_health().degraded() is True
        redis_server.start()
        back = time.monotonic()
        while queue_health().degraded():
            time.sleep(0.1)
        print(f"\nqueue reported healthy {time.monotonic() - back:.2f}s after Redis returned")
        assert time.monotonic() - back <= CHECK_EVERY_SECONDS + 1
