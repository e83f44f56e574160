"""Timeouts after the platform stored a reply: reconcile or retry, never a double post."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from flask import Flask

import app.channels.services as channel_services
import app.outbox.services as outbox
from app.extensions import db
from app.jobs.poll import poll_channel
from app.models import Channel, Message, Thread, User
from tests.jobs.sandbox_http import HttpSandbox
from tests.outbox.helpers import sandbox_thread

REPLIES = int(os.environ.get("OUTBOX_TEST_REPLIES", "1000"))
WORKERS = 4
TWEETS = "/2/tweets$"


def _brand_replies(http_sandbox: HttpSandbox, parent: str) -> list[dict]:
    return [r for r in http_sandbox.timeline(network="x", kind="tweet")
            if r["from_brand"] and r["parent_id"] == parent]


@pytest.mark.slow
def test_a_thousand_connections_dropped_after_store_zero_double_posts(
        app: Flask, http_sandbox: HttpSandbox, sandbox_channel: Callable[..., Channel],
        make_user: Callable[..., User]) -> None:
    agent = make_user("agent", name="Marie Lefèvre", signature="^Marie")
    first = sandbox_thread(http_sandbox, sandbox_channel)
    threads = [first.id]
    for n in range(1, WORKERS):  # one customer thread per worker, on the same channel
        http_sandbox.post(network="x", kind="mention", handle=f"client_{n}",
                          text=f"Toujours rien reçu ({n})")
    assert poll_channel(first.channel_id).state == "ok"
    threads = list(db.session.scalars(db.select(Thread.id).order_by(Thread.id)))
    assert len(threads) == WORKERS
    http_sandbox.fault("close_after_store", path=TWEETS, method="POST", count=REPLIES)
    started = time.monotonic()
    errors: list[BaseException] = []
    ids: list[int] = []

    def worker(w: int) -> None:
        try:
            with app.app_context():
                me = db.session.get(User, agent.id)
                thread = db.session.get(Thread, threads[w])
                for i in range(w, REPLIES, WORKERS):
                    message = outbox.queue_reply(me, thread, f"Nous regardons votre dossier, "
                                                 f"réponse {i}", idempotency_key=f"close-{i}")
                    message = outbox.deliver(message)
                    assert message.send_state == "unknown", (i, message.send_error)
                    # Half settled by the reconcile job's use case, half by the retry button.
                    message = outbox.reconcile(message) if i % 2 else outbox.retry(me, message)
                    assert message.send_state == "sent", (i, message.send_error)
                    ids.append(message.id)
                db.session.remove()
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=worker, args=(w,)) for w in range(WORKERS)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(300)
    assert errors == []
    elapsed = time.monotonic() - started
    assert not http_sandbox.store.faults(), "every armed fault was used"
    timeline = [r for r in http_sandbox.timeline(network="x", kind="tweet") if r["from_brand"]
                and r["text"].split("réponse ")[0].endswith("dossier, ")]
    counts = Counter(r["text"] for r in timeline)
    assert len(timeline) == REPLIES, f"{len(timeline)} posts for {REPLIES} replies"
    assert max(counts.values()) == 1
    db.session.expire_all()
    rows = list(db.session.scalars(db.select(Message).where(Message.id.in_(ids))))
    by_text = {r["text"]: r["id"] for r in timeline}
    assert len(rows) == REPLIES
    for row in rows:
        assert row.send_state == "sent" and row.send_attempts == 1
        assert row.platform_id == by_text[row.text]
    # One POST per reply reached the platform: no re-send, even through retry().
    posts = [p for m, p in http_sandbox.counter.requests if m == "POST" and p == "/x/2/tweets"]
    assert len(posts) == REPLIES
    print(f"{REPLIES} dropped connections settled in {elapsed:.1f}s")


def test_read_timeouts_after_store_settle_without_double_posts(
        http_sandbox: HttpSandbox, sandbox_channel: Callable[..., Channel],
        make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch) -> None:
    agent = make_user("agent", signature="^Tom")
    thread = sandbox_thread(http_sandbox, sandbox_channel)
    parent = thread.messages[0].platform_id
    original = channel_services.connector_for
    monkeypatch.setattr(outbox, "connector_for",
                        lambda channel, **kw: original(channel, timeout=0.25, **kw))
    http_sandbox.fault("timeout_after_store", path=TWEETS, method="POST", count=4, delay=1.0)
    sent = []
    for i in range(4):
        message = outbox.queue_reply(agent, thread, f"On s'en occupe {i}",
                                     idempotency_key=f"slow-{i}")
        message = outbox.deliver(message)
        assert message.send_state == "unknown"
        assert "checking before any retry" in message.send_error
        # Retrying while unknown settles from the platform; it never sends again.
        message = outbox.retry(agent, message)
        assert message.send_state == "sent"
        sent.append(message)
    timeline = _brand_replies(http_sandbox, parent)
    assert sorted(r["id"] for r in timeline) == sorted(m.platform_id for m in sent)


def test_the_reconcile_job_settles_old_unknown_replies(
        http_sandbox: HttpSandbox, sandbox_channel: Callable[..., Channel],
        make_user: Callable[..., User]) -> None:
    from datetime import timedelta

    agent = make_user("agent")
    thread = sandbox_thread(http_sandbox, sandbox_channel)
    http_sandbox.fault("close_after_store", path=TWEETS, method="POST")
    message = outbox.deliver(outbox.queue_reply(agent, thread, "Bien reçu, on regarde",
                                                idempotency_key="job-1"))
    assert message.send_state == "unknown"
    assert outbox.reconcile_unknown() == 0  # too recent: it may still be in flight
    assert outbox.reconcile_unknown(older_than=timedelta(0)) == 1
    db.session.expire_all()
    message = db.session.get(Message, message.id)
    assert message.send_state == "sent" and message.platform_id
    assert len(_brand_replies(http_sandbox, thread.messages[0].platform_id)) == 1
