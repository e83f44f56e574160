"""An event that never arrives live (the cross-process queue was down, no reconnect) is
fetched by the page's heartbeat, and the header says real time is degraded meanwhile."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import RealtimeEvent, User, utcnow
from app.realtime.publish import INBOX_ROOM
from tests.live.test_live_browser import _login
from tests.live.test_sockets import _client


@pytest.mark.browser
def test_a_lost_event_is_fetched_without_a_reconnect(
        app: Flask, browser: Any, stack: Any, screenshots: Path,
        make_user: Callable[..., User]) -> None:
    marie = make_user("agent", name="Marie Lefèvre")
    page = _login(browser, stack.url, marie)
    try:
        page.evaluate("""() => { window.__probes = [];
            window.CareLive.on('probe', function (p) { window.__probes.push(p.n); }); }""")
        # Logged, never emitted: what another process's publish looks like while Redis is away.
        lost = RealtimeEvent(name="probe", room=INBOX_ROOM, payload={"n": 1},
                             created_at=utcnow() - timedelta(seconds=10))
        db.session.add(lost)
        db.session.commit()
        started = time.monotonic()
        page.wait_for_function("() => window.__probes.includes(1)", timeout=8000)
        print(f"\nlost event fetched by the heartbeat after {time.monotonic() - started:.2f}s")
        page.wait_for_selector("#live-status[data-state=degraded]", timeout=2000)
        assert "Real time degraded" in page.inner_text("#channel-strip")
        page.screenshot(path=str(screenshots / "live-degraded.png"), full_page=True)
        assert page.evaluate("window.CareLive.seq") == lost.id
        # Events flow again: the warning goes at the next heartbeat with nothing missing.
        page.wait_for_selector("#live-status[data-state=live]", timeout=5000)
        assert page.query_selector("#realtime-chip") is None
    finally:
        page.context.close()


def test_heartbeat_answers_the_rooms_newest_sequence(
        sock_app: Flask, make_user: Callable[..., User]) -> None:
    marie = make_user("agent", name="Marie")
    inbox = RealtimeEvent(name="x", room=INBOX_ROOM, payload={}, created_at=utcnow())
    db.session.add(inbox)
    db.session.commit()
    db.session.add(RealtimeEvent(name="x", room="thread:999", payload={}, created_at=utcnow()))
    db.session.commit()
    client = _client(sock_app, marie)
    answer = client.emit("heartbeat", {"rooms": [INBOX_ROOM]}, callback=True)
    assert answer["seq"] == inbox.id and answer["degraded"] is False and answer["now"]
    refused = client.emit("heartbeat", {"rooms": ["thread:abc"]}, callback=True)
    assert refused.get("ok") is False
