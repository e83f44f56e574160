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
from app.realtime import presence, services
from app.realtime.publish import INBOX_ROOM, emit_now, events_since, last_seq, thread_room
from app.realtime.services import broadcast_presence
from app.security import CARE_ROLES, current_actor

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
            return {"ok": True, **(result or {})}

        # Read back by the roles matrix test, as for views (app.security.roles).
        wrapper._allowed_roles = allowed_roles  # type: ignore[attr-defined]
        socketio.on_event(name, wrapper)
        return wrapper

    return decorate


def _sid() -> str:
    # Flask-SocketIO's id of the connection, set on the request of each event (not in
    # Flask's type hints).
    return str(request.sid)  # type: ignore[attr-defined]


def room_allowed(room: str, role: str, user_id: int | None = None) -> bool:
    """Whether a role (and user: a user's own room) may join a room."""
    if room.startswith("user:"):
        return user_id is not None and room == f"user:{user_id}"
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
    """Join the inbox or a thread room; answers the current sequence number and presence."""
    from flask_socketio import join_room

    room = data.get("room")
    if not isinstance(room, str) or not room_allowed(room, current_user.role,
                                                      current_user.id):
        raise EventError("room_not_allowed")
    answer: dict[str, Any] = {"room": room}
    if room.startswith("thread:"):
        thread_id = int(room[7:])
        if db.session.get(Thread, thread_id) is None:
            raise EventError("thread_not_found")
        join_room(room)
        presence.store().add_viewer(thread_id, _sid(), current_user.id,
                                    current_user.name)
        answer["presence"] = broadcast_presence(thread_id)
    else:
        join_room(room)
        answer["locks"] = {}
    answer["seq"] = last_seq()
    return answer


def _thread_id(data: dict[str, Any]) -> int:
    thread_id = _int(data, "thread_id")
    if db.session.get(Thread, thread_id) is None:
        raise EventError("thread_not_found")
    return thread_id


@socket_event("leave", CARE_ROLES)
def on_leave(data: dict[str, Any]) -> dict[str, Any]:
    """The tab left a thread page."""
    from flask_socketio import leave_room

    thread_id = _int(data, "thread_id")
    leave_room(thread_room(thread_id))
    presence.store().remove_viewer(thread_id, _sid())
    broadcast_presence(thread_id)
    return {}


@socket_event("typing", CARE_ROLES)
def on_typing(data: dict[str, Any]) -> dict[str, Any]:
    """Someone types in the composer: the others see it live."""
    thread_id = _thread_id(data)
    emit_now("typing", {"thread_id": thread_id, "user_id": current_user.id,
                        "name": current_user.name}, thread_room(thread_id))
    return {}


@socket_event("lock", CARE_ROLES)
def on_lock(data: dict[str, Any]) -> dict[str, Any]:
    """Starting a reply takes the soft lock; refused while another agent holds it."""
    thread_id = _thread_id(data)
    try:
        taken, holder = presence.store().lock(thread_id, current_user.id, current_user.name,
                                              _sid())
    except presence.PresenceUnavailable:
        return {"locked": False, "holder": None, "error": "unavailable"}
    if not taken:
        return {"locked": False, "holder": {"user_id": holder["user_id"],
                                            "name": holder["name"]} if holder else None}
    broadcast_presence(thread_id)
    return {"locked": True}


@socket_event("takeover", CARE_ROLES)
def on_takeover(data: dict[str, Any]) -> dict[str, Any]:
    """Take the lock from another agent, who is told at once."""
    try:
        services.take_over(current_actor(), _thread_id(data), _sid())
    except presence.PresenceUnavailable:
        return {"locked": False, "error": "unavailable"}
    return {"locked": True}


@socket_event("unlock", CARE_ROLES)
def on_unlock(data: dict[str, Any]) -> dict[str, Any]:
    """The draft was abandoned: release the lock."""
    services.release_lock(_thread_id(data), current_user.id)
    return {}


@socketio.on("disconnect")
def on_disconnect(*_args: Any) -> None:
    """The browser went away: it no longer views or locks anything."""
    try:
        for thread_id in presence.store().drop_sid(_sid()):
            broadcast_presence(thread_id)
    except Exception:  # a presence failure must not break the disconnect
        log.exception("presence cleanup failed")


@socket_event("catch_up", CARE_ROLES)
def on_catch_up(data: dict[str, Any]) -> dict[str, Any]:
    """Events missed since ``since`` in the rooms the browser is in (after a reconnect)."""
    since = _int(data, "since")
    rooms = data.get("rooms") or [INBOX_ROOM]
    if not isinstance(rooms, list) or not all(
        isinstance(r, str) and room_allowed(r, current_user.role, current_user.id)
        for r in rooms
    ):
        raise EventError("room_not_allowed")
    events, truncated = events_since(since, rooms)
    return {"events": events, "reload": truncated}


@socket_event("heartbeat", CARE_ROLES)
def on_heartbeat(data: dict[str, Any]) -> dict[str, Any]:
    """The page's periodic check: the newest sequence number in its rooms (a browser behind
    it fetches what it missed) and whether cross-process events can flow right now."""
    from app.models import utcnow
    from app.realtime.health import queue_health
    from app.realtime.publish import last_seq_in

    rooms = data.get("rooms") or [INBOX_ROOM]
    if not isinstance(rooms, list) or not all(
        isinstance(r, str) and room_allowed(r, current_user.role, current_user.id)
        for r in rooms
    ):
        raise EventError("room_not_allowed")
    return {"seq": last_seq_in(rooms), "degraded": queue_health().degraded(),
            "now": utcnow().isoformat()}


__all__ = ["EventError", "room_allowed", "socket_event", "thread_room"]
