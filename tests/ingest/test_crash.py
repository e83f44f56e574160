"""A real poller process killed with SIGKILL in the middle of a poll, then restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from app.extensions import db
from app.jobs.poll import poll_channel
from app.models import Channel, Message
from connectors.x import XConnector
from tests.jobs.sandbox_http import HttpSandbox

ROOT = Path(__file__).resolve().parents[2]
MENTIONS = 60
PAGE_SIZE = 4

POLLER = r"""
import sys
from connectors.x import XConnector
XConnector.page_size = int(sys.argv[3])
from app import create_app
from app.jobs.poll import poll_channel
from tests.helpers import app_settings
app = create_app(app_settings(sys.argv[1], FERNET_KEYS=[sys.argv[4]]))
with app.app_context():
    print("polling", flush=True)
    print(poll_channel(int(sys.argv[2]), max_pages=10_000), flush=True)
"""


def _stored(channel_id: int) -> list[str]:
    db.session.rollback()  # a fresh snapshot
    return list(db.session.scalars(db.select(Message.platform_id)
                                   .where(Message.channel_id == channel_id)))


@pytest.mark.slow
def test_poller_killed_mid_poll_then_restarted_loses_and_duplicates_nothing(
        app: Flask, database_url: str, http_sandbox: HttpSandbox,
        sandbox_channel: Callable[..., Channel], monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(MENTIONS):
        http_sandbox.post(network="x", kind="mention", handle=f"client_{i % 9}",
                          text=f"Commande n°{i} toujours pas livrée" if i % 2 else
                          f"Order {i} still not delivered, any news?")
    channel = sandbox_channel("x")
    http_sandbox.counter.delay = 0.12  # each page takes a while: the kill lands mid-walk
    poller = subprocess.Popen(
        [sys.executable, "-c", POLLER, database_url, str(channel.id), str(PAGE_SIZE),
         app.config["FERNET_KEYS"][0]],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 60
        seen = 0
        while time.monotonic() < deadline and poller.poll() is None:
            seen = len(_stored(channel.id))
            if seen >= 2 * PAGE_SIZE:
                break
            time.sleep(0.02)
        assert poller.poll() is None, poller.communicate()
        assert 0 < seen < MENTIONS, seen
        os.kill(poller.pid, signal.SIGKILL)
        poller.wait(10)
    finally:
        if poller.poll() is None:
            poller.kill()
            poller.wait(10)
    assert poller.returncode == -signal.SIGKILL
    interrupted = _stored(channel.id)
    assert 0 < len(interrupted) < MENTIONS
    # Customers keep writing while the poller is down.
    late = [http_sandbox.post(network="x", kind="mention", handle="late_client",
                              text=f"Late question {i}")["id"] for i in range(3)]
    http_sandbox.counter.delay = 0.0
    monkeypatch.setattr(XConnector, "page_size", PAGE_SIZE)
    for _ in range(5):
        db.session.rollback()
        outcome = poll_channel(channel.id, max_pages=10_000)
        assert outcome.state == "ok", outcome
        if outcome.stored == 0:
            break
    stored = _stored(channel.id)
    assert len(stored) == len(set(stored)), "duplicates"
    expected = http_sandbox.customer_tweet_ids()
    assert len(expected) == MENTIONS + 3 and set(late) <= expected
    assert set(stored) == expected, (f"missing {sorted(expected - set(stored))}, "
                                     f"extra {sorted(set(stored) - expected)}")
    db.session.expire_all()
    cursor = db.session.get(Channel, channel.id).poll_cursor
    assert cursor["next_token"] is None and cursor["since_id"] == max(expected, key=int)
