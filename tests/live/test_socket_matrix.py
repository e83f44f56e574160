"""The roles matrix of Socket.IO events: every event, every role (anonymous cannot connect)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from app.extensions import socketio
from app.models import User
from tests.live.conftest import sock_app  # noqa: F401
from tests.live.test_sockets import _client

CARE = {"agent", "supervisor", "admin"}
#: Every event and the roles allowed to send it. A new event must be added here.
EVENTS: dict[str, set[str]] = {
    "join": CARE,
    "leave": CARE,
    "typing": CARE,
    "lock": CARE,
    "takeover": CARE,
    "unlock": CARE,
    "catch_up": CARE,
    "heartbeat": CARE,
    "dashboard.join": {"brand", "supervisor", "admin"},  # issue 19: figures moved
}
ROLES = ("agent", "supervisor", "brand", "admin")


def test_every_event_is_in_the_matrix(app: Flask) -> None:
    registered = {message for message, _handler, _ns in socketio.handlers}
    assert registered - {"connect", "disconnect"} == set(EVENTS)


@pytest.mark.parametrize("role", ROLES)
def test_socket_roles_matrix(app: Flask, sock_app: Flask,  # noqa: F811
                             make_user: Callable[..., User], role: str) -> None:
    client = _client(sock_app, make_user(role))
    assert client.is_connected()
    for event, allowed in EVENTS.items():
        answer = client.emit(event, {}, callback=True)
        if role in allowed:
            # Allowed: the event runs (an empty payload may be refused for its content).
            assert answer.get("error") != "forbidden", (role, event, answer)
        else:
            assert answer == {"ok": False, "error": "forbidden"}, (role, event, answer)
    assert client.is_connected()  # a refused event never kills the socket


def test_anonymous_cannot_connect_to_send_any_event(app: Flask, sock_app: Flask) -> None:  # noqa: F811
    client = _client(sock_app, None)
    assert not client.is_connected()
