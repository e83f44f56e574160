"""Socket.IO handlers: authenticated, same-origin, every event and room checked by role."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import request
from flask_login import current_user

from app.extensions import db, socketio
from app.models import Thread
from app.realtime.publish import INBOX_ROOM, events_since, last_seq, thread_room
from app.security import CARE_ROLES

log = logging.getLogger("care.realtime")

Handler = Callable[..., Any]


class EventError(ValueError):
    """A refused or malformed socket event; the message goes back to the browser."""


def socket_event(name: str, allowed: Iterable[str]) -> Callable[[Handler], Handler]:
    """Register a handler that checks the user's role and turns bad input into an error ack."""
    allowed_roles = frozenset(str(r) for r in allowed)

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def wrapper(data: Any = None) -> Any:
            if not current_user.is_authenticated:
                return {"ok": False, "error": "not_authenticated"}
            if current_user.role not in allowed_roles:
                return {"ok": False, "error": "forbidden"}
            try:
                result = handler(data if isinstance(data, dict) else {})
            except EventError as exc:
                db.session.rollback()
                return {"ok": False, "error": str(exc)}
            except Exception:  # never kill the socket for one bad event
                db.session.rollback()
                log.exception("socket event %s failed", name)
                return {"ok": False, "error": "server_error"}
            finally:
                db.session.remove()
            return {"ok": True, **(result or {})}

        wrapper._allowed_roles = allowed_roles  # type: ignore[attr-defined]
        socketio.on_event(name, wrapper)
        return wrapper

    return decorate


def room_allowed(room: str, role: str) -> bool:
    """Whether a role may join a room."""
    if room == INBOX_ROOM:
        return role in CARE_ROLES
    if room.startswith("thread:"):
        return role in CARE_ROLES and room[len("thread:"):].isdigit()
    return False


@socketio.on("connect")
def on_connect(auth: Any = None) -> bool:
    """Accept only logged-in users; the same-origin check is done by the Socket.IO server."""
    if not current_user.is_authenticated:
        log.info("refused anonymous socket from %s", request.remote_addr)
        return False
    return True


def _int(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EventError(f"{key} must be a non-negative integer")
    return value


@socket_event("join", CARE_ROLES)
def on_join(data: dict[str, Any]) -> dict[str, Any]:
    """Join the inbox or a thread room; answers the current sequence number."""
    from flask_socketio import join_room

    room = data.get("room")
    if not isinstance(room, str) or not room_allowed(room, current_user.role):
        raise EventError("room_not_allowed")
    if room.startswith("thread:") and db.session.get(Thread, int(room[7:])) is None:
        raise EventError("thread_not_found")
    join_room(room)
    return {"room": room, "seq": last_seq()}


@socket_event("catch_up", CARE_ROLES)
def on_catch_up(data: dict[str, Any]) -> dict[str, Any]:
    """Events missed since ``since`` in the rooms the browser is in (after a reconnect)."""
    since = _int(data, "since")
    rooms = data.get("rooms") or [INBOX_ROOM]
    if not isinstance(rooms, list) or not all(
        isinstance(r, str) and room_allowed(r, current_user.role) for r in rooms
    ):
        raise EventError("room_not_allowed")
    events, truncated = events_since(since, rooms)
    return {"events": events, "reload": truncated}


__all__ = ["EventError", "room_allowed", "socket_event", "thread_room"]
