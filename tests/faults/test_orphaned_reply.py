"""A web process that dies between storing a reply and claiming it leaves nothing orphaned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

import app.outbox.services as outbox
from app.extensions import db
from app.models import Channel, Message, SendState, Thread, User
from tests.helpers import TEST_PASSWORD
from tests.jobs.sandbox_http import HttpSandbox
from tests.outbox.helpers import sandbox_thread

ROOT = Path(__file__).resolve().parents[2]


def _brand_replies(http_sandbox: HttpSandbox, parent: str | None) -> list[dict]:
    return [r for r in http_sandbox.timeline(network="x", kind="tweet")
            if r["from_brand"] and r["parent_id"] == parent]


def _orphan(agent: User, thread: Thread, key: str, age: timedelta) -> int:
    # What a process killed right after queue_reply's commit leaves: a pending row, unclaimed.
    message = outbox.queue_reply(agent, thread, f"Nous regardons ({key})", idempotency_key=key)
    message.received_at = message.received_at - age
    db.session.commit()
    return message.id


def test_a_recent_orphan_is_sent_once_by_the_reconcile_job(
        app: Flask, http_sandbox: HttpSandbox, sandbox_channel: Callable[..., Channel],
        make_user: Callable[..., User]) -> None:
    agent = make_user("agent", name="Marie Lefèvre", signature="^Marie")
    thread = sandbox_thread(http_sandbox, sandbox_channel)
    parent = thread.messages[-1].platform_id
    fresh = outbox.queue_reply(agent, thread, "En cours", idempotency_key="fresh")
    orphan_id = _orphan(agent, thread, "orphan-1", outbox.PENDING_AFTER + timedelta(seconds=1))
    # Two schedulers' worth of the job at once (a takeover mid-run): one send only.
    errors: list[BaseException] = []

    def job() -> None:
        try:
            with app.app_context():
                outbox.reconcile_unknown()
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=job) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    outbox.reconcile_unknown()
    db.session.expire_all()
    orphan = db.session.get(Message, orphan_id)
    assert orphan is not None and orphan.send_state == SendState.SENT.value
    assert orphan.idempotency_key == "orphan-1" and orphan.send_attempts == 1
    # A reply still within its own send's time is left to it.
    assert db.session.get(Message, fresh.id).send_state == SendState.PENDING.value
    assert [r["text"] for r in _brand_replies(http_sandbox, parent)] == [orphan.text]


def test_an_old_orphan_waits_for_a_person_with_a_retry_on_the_page(
        app: Flask, client: FlaskClient, http_sandbox: HttpSandbox,
        sandbox_channel: Callable[..., Channel], make_user: Callable[..., User]) -> None:
    agent = make_user("agent", name="Marie Lefèvre", signature="^Marie")
    thread = sandbox_thread(http_sandbox, sandbox_channel)
    parent = thread.messages[-1].platform_id
    orphan_id = _orphan(agent, thread, "orphan-2", outbox.PENDING_GIVE_UP + timedelta(minutes=1))
    outbox.reconcile_unknown()
    outbox.reconcile_unknown()
    db.session.expire_all()
    orphan = db.session.get(Message, orphan_id)
    assert orphan is not None and orphan.send_state == SendState.FAILED.value
    assert "never sent" in (orphan.send_error or "")
    assert _brand_replies(http_sandbox, parent) == []
    client.post("/login", data={"email": agent.email, "password": TEST_PASSWORD})
    page = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    assert f"/inbox/messages/{orphan_id}/retry" in page
    # The person decides: the retry sends it, once, with its own key.
    retried = client.post(f"/inbox/messages/{orphan_id}/retry")
    assert retried.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(Message, orphan_id).send_state == SendState.SENT.value
    assert len(_brand_replies(http_sandbox, parent)) == 1


KILLED_MID_SEND = r"""
import os, signal, sys
from app import create_app
import app.outbox.services as outbox
from app.extensions import db
from app.models import Thread, User
from tests.helpers import app_settings
app = create_app(app_settings(sys.argv[1], FERNET_KEYS=[sys.argv[4]]))
# The process dies right after the reply's row is committed, before it is claimed.
outbox.deliver = lambda message: os.kill(os.getpid(), signal.SIGKILL)
with app.app_context():
    outbox.reply(db.session.get(User, int(sys.argv[2])), db.session.get(Thread, int(sys.argv[3])),
                 "Nous regardons votre colis", idempotency_key="killed-1")
"""


def test_a_web_process_killed_between_storing_and_claiming_leaves_no_orphan(
        app: Flask, database_url: str, http_sandbox: HttpSandbox,
        sandbox_channel: Callable[..., Channel], make_user: Callable[..., User]) -> None:
    agent = make_user("agent", name="Marie Lefèvre", signature="^Marie")
    thread = sandbox_thread(http_sandbox, sandbox_channel)
    parent = thread.messages[-1].platform_id
    child = subprocess.run(
        [sys.executable, "-c", KILLED_MID_SEND, database_url, str(agent.id), str(thread.id),
         app.config["FERNET_KEYS"][0]],
        cwd=ROOT, capture_output=True, env=dict(os.environ), timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]
    db.session.rollback()
    orphan = db.session.scalar(db.select(Message).filter_by(idempotency_key="killed-1"))
    assert orphan is not None and orphan.send_state == SendState.PENDING.value
    assert _brand_replies(http_sandbox, parent) == []
    # Within its own send's time the job leaves it alone; past the deadline, it is sent once.
    outbox.reconcile_unknown()
    db.session.expire_all()
    assert db.session.get(Message, orphan.id).send_state == SendState.PENDING.value
    outbox.reconcile_unknown(pending_after=timedelta(0))
    outbox.reconcile_unknown(pending_after=timedelta(0))
    db.session.expire_all()
    sent = db.session.get(Message, orphan.id)
    assert sent.send_state == SendState.SENT.value and sent.send_attempts == 1
    assert len(_brand_replies(http_sandbox, parent)) == 1
