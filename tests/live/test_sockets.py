"""Socket security and behaviour: who may connect, join and act; catch-up; presence; locks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
import socketio as sio
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db, socketio
from app.models import RealtimeEvent, Thread, User
from app.realtime.publish import publish
from tests.helpers import TEST_PASSWORD


class _Isolated:
    """A Socket.IO test client whose every call runs in a fresh app context, as on a server.

    Without it the handlers would share the test's app context (its ``g`` and session).
    """

    def __init__(self, app: Flask, http: FlaskClient) -> None:
        self.app = app
        with app.app_context():
            self.inner = socketio.test_client(app, flask_test_client=http)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            with self.app.app_context():
                return method(*args, **kwargs)

        return call


def _client(app: Flask, user: User | None) -> Any:
    http = app.test_client()
    if user is not None:
        http.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    return _Isolated(app, http)


def _events(client: Any, name: str) -> list[Any]:
    return [e["args"][0] for e in client.get_received() if e["name"] == name]


def test_anonymous_socket_is_refused(sock_app: Flask, app: Flask) -> None:
    client = _client(sock_app, None)
    assert not client.is_connected()


def test_logged_in_agent_connects_and_joins(
    app: Flask, sock_app: Flask, make_user: Callable[..., User], make_thread: Callable[..., Thread]
) -> None:
    thread = make_thread()
    client = _client(sock_app, make_user("agent"))
    assert client.is_connected()
    assert client.emit("join", {"room": "inbox"}, callback=True)["ok"] is True
    answer = client.emit("join", {"room": f"thread:{thread.id}"}, callback=True)
    assert answer["ok"] is True and answer["presence"]["thread_id"] == thread.id


@pytest.mark.parametrize(
    "room,error",
    [
        ("admin", "room_not_allowed"),
        ("thread:abc", "room_not_allowed"),
        ("thread:999999", "thread_not_found"),
        (42, "room_not_allowed"),
    ],
)
def test_bad_rooms_are_refused(
    app: Flask, sock_app: Flask, make_user: Callable[..., User], room: Any, error: str
) -> None:
    client = _client(sock_app, make_user("agent"))
    assert client.emit("join", {"room": room}, callback=True) == {"ok": False, "error": error}
    assert client.is_connected()  # a bad event never kills the socket


def test_brand_role_cannot_join_the_inbox(
    app: Flask, sock_app: Flask, make_user: Callable[..., User]
) -> None:
    client = _client(sock_app, make_user("brand"))
    assert client.is_connected()
    assert client.emit("join", {"room": "inbox"}, callback=True) == {
        "ok": False,
        "error": "forbidden",
    }
    assert client.emit("lock", {"thread_id": 1}, callback=True)["error"] == "forbidden"


def test_malformed_events_get_an_error_not_a_crash(
    app: Flask, sock_app: Flask, make_user: Callable[..., User]
) -> None:
    client = _client(sock_app, make_user("agent"))
    for name, data in [
        ("catch_up", {"since": "yesterday"}),
        ("catch_up", {"since": -1}),
        ("lock", {}),
        ("lock", {"thread_id": "7"}),
        ("typing", None),
        ("takeover", {"thread_id": True}),
        ("catch_up", {"since": 0, "rooms": ["nope"]}),
    ]:
        answer = client.emit(name, data, callback=True)
        assert answer["ok"] is False and answer["error"], (name, data)
    assert client.emit("catch_up", {"since": 0}, callback=True)["ok"] is True


def test_events_are_emitted_after_commit_only(
    app: Flask, sock_app: Flask, make_user: Callable[..., User]
) -> None:
    client = _client(sock_app, make_user("agent"))
    client.emit("join", {"room": "inbox"}, callback=True)
    client.get_received()
    publish("thread.updated", {"id": 1})
    db.session.rollback()
    assert _events(client, "event") == []
    publish("thread.updated", {"id": 2})
    db.session.commit()
    received = _events(client, "event")
    assert [e["payload"]["id"] for e in received] == [2]
    assert received[0]["seq"] == db.session.scalar(db.select(db.func.max(RealtimeEvent.id)))


def test_catch_up_returns_what_a_dropped_browser_missed(
    app: Flask, sock_app: Flask, make_user: Callable[..., User]
) -> None:
    agent = make_user("agent")
    client = _client(sock_app, agent)
    seq = client.emit("join", {"room": "inbox"}, callback=True)["seq"]
    client.disconnect()
    for n in range(3):
        publish("thread.updated", {"id": n})
    publish("message.created", {"thread_id": 5}, room="thread:5")
    db.session.commit()
    again = _client(sock_app, agent)
    answer = again.emit("catch_up", {"since": seq, "rooms": ["inbox"]}, callback=True)
    assert [e["payload"]["id"] for e in answer["events"]] == [0, 1, 2]
    assert all(e["seq"] > seq for e in answer["events"])
    assert answer["reload"] is False


def test_lock_presence_takeover_and_disconnect(
    app: Flask, sock_app: Flask, make_user: Callable[..., User], make_thread: Callable[..., Thread]
) -> None:
    thread = make_thread()
    marie, tom = make_user("agent", name="Marie"), make_user("agent", name="Tom")
    m, t = _client(sock_app, marie), _client(sock_app, tom)
    for c in (m, t):
        c.emit("join", {"room": f"thread:{thread.id}"}, callback=True)
        c.get_received()
    assert m.emit("lock", {"thread_id": thread.id}, callback=True)["locked"] is True
    presence = _events(t, "presence")[-1]
    assert presence["lock"] == {"user_id": marie.id, "name": "Marie"}
    assert {v["name"] for v in presence["viewers"]} == {"Marie", "Tom"}
    refused = t.emit("lock", {"thread_id": thread.id}, callback=True)
    assert refused["locked"] is False and refused["holder"]["name"] == "Marie"
    m.get_received()
    assert t.emit("takeover", {"thread_id": thread.id}, callback=True)["locked"] is True
    taken = _events(m, "lock.taken")
    assert taken and taken[0]["previous"]["user_id"] == marie.id
    assert taken[0]["by"]["name"] == "Tom"
    actions = db.session.scalars(db.select(db.text("action FROM audit_events"))).all()
    assert "taken_over" in actions
    m.get_received()
    t.disconnect()
    assert _events(m, "presence")[-1]["lock"] is None  # the lock went with Tom's browser


def test_reply_refused_while_another_agent_holds_the_lock(
    sock_app: Flask,
    app: Flask,
    client: FlaskClient,
    make_user: Callable[..., User],
    make_thread: Callable[..., Thread],
    login: Callable[..., Any],
) -> None:
    thread = make_thread()
    marie, tom = make_user("agent", name="Marie"), make_user("agent", name="Tom")
    m = _client(sock_app, marie)
    m.emit("join", {"room": f"thread:{thread.id}"}, callback=True)
    m.emit("lock", {"thread_id": thread.id}, callback=True)
    http = sock_app.test_client()
    login(tom, c=http)
    response = http.post(
        f"/inbox/threads/{thread.id}/reply",
        data={"body": "on s'en occupe", "idempotency_key": "k1", "version": str(thread.version)},
    )
    # Refused, back on the thread's own URL, the draft kept (nothing was sent).
    assert response.status_code == 303
    assert response.location.endswith(f"/inbox/threads/{thread.id}")
    page = http.get(response.location).get_data(as_text=True)
    assert "Marie is replying" in page
    assert "on s&#39;en occupe" in page


def _session_cookie(base: str, user: User) -> str:
    http = requests.Session()
    http.post(
        f"{base}/login",
        data={"email": user.email, "password": TEST_PASSWORD},
        allow_redirects=False,
    )
    return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


def test_foreign_origin_socket_is_refused(live_server: str, make_user: Callable[..., User]) -> None:
    cookie = _session_cookie(live_server, make_user("agent"))
    same = sio.Client(reconnection=False)
    same.connect(
        live_server,
        headers={"Cookie": cookie, "Origin": live_server},
        transports=["polling"],
        wait_timeout=5,
    )
    assert same.connected
    same.disconnect()
    evil = sio.Client(reconnection=False)
    with pytest.raises(sio.exceptions.ConnectionError):
        evil.connect(
            live_server,
            headers={"Cookie": cookie, "Origin": "http://evil.example"},
            transports=["polling"],
            wait_timeout=5,
        )
    assert not evil.connected


def test_anonymous_socket_over_http_is_refused(live_server: str) -> None:
    anonymous = sio.Client(reconnection=False)
    with pytest.raises(sio.exceptions.ConnectionError):
        anonymous.connect(live_server, transports=["polling"], wait_timeout=5)
