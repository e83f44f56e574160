"""The tone committee's notifications reach only their user's own room, live."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from app.extensions import db
from app.models import User
from app.realtime.events import room_allowed
from app.review import services
from tests.live.test_sockets import _client, _events


def test_room_rule() -> None:
    assert room_allowed("user:5", "agent", 5)
    assert not room_allowed("user:6", "agent", 5)
    assert not room_allowed("user:5", "agent")
    assert not room_allowed("user:5x", "supervisor", 5)


def test_own_room_only_and_live_notification(
        app: Flask, sock_app: Flask, make_user: Callable[..., User]) -> None:
    agent, other = make_user("agent"), make_user("agent")
    mine = _client(sock_app, agent)
    assert mine.emit("join", {"room": f"user:{other.id}"}, callback=True)["ok"] is False
    assert mine.emit("join", {"room": f"user:{agent.id}"}, callback=True)["ok"] is True
    theirs = _client(sock_app, other)
    assert theirs.emit("join", {"room": f"user:{other.id}"}, callback=True)["ok"] is True
    brand = _client(sock_app, make_user("brand"))
    assert brand.emit("join", {"room": "user:1"}, callback=True)["ok"] is False
    mine.get_received()
    theirs.get_received()
    with sock_app.app_context():
        services.notify([agent.id], "report_ready", {"month": "2026-11"}, "/review/reports/1")
        db.session.commit()
    got = [e for e in _events(mine, "event") if e["name"] == "review.notification"]
    assert len(got) == 1 and got[0]["payload"]["kind"] == "report_ready"
    assert not [e for e in _events(theirs, "event") if e["name"] == "review.notification"]
    missed = mine.emit("catch_up", {"since": 0, "rooms": [f"user:{agent.id}"]}, callback=True)
    assert missed["ok"] and len(missed["events"]) == 1
    denied = mine.emit("catch_up", {"since": 0, "rooms": [f"user:{other.id}"]}, callback=True)
    assert denied["ok"] is False
