"""The one place that emits to browsers.

``publish()`` records the event in the caller's transaction and emits it only after that
transaction commits: a browser never hears of a change that was rolled back, and a browser
that was disconnected at that moment catches up from the event log by sequence number.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import header
from app.extensions import db, socketio
from app.models import RealtimeEvent, utcnow

log = logging.getLogger("care.realtime")

_PENDING_KEY = "care_pending_events"

#: Rooms a browser can be in; every room join is checked against the user's role.
INBOX_ROOM = "inbox"


def thread_room(thread_id: int) -> str:
    """The room of one thread page (presence, typing, soft locks)."""
    return f"thread:{thread_id}"


def publish(name: str, payload: dict[str, Any], room: str = INBOX_ROOM) -> int:
    """Record an event in the current transaction; it is emitted once the transaction commits.

    Returns the event's sequence number.
    """
    # Written like any other change (the flush also writes the caller's pending ones, which
    # the event describes); the flush gives the sequence number.
    logged = RealtimeEvent(name=name, room=room, payload=payload, created_at=utcnow())
    db.session.add(logged)
    db.session.flush()
    # The wire form is taken now: no SQL may run inside the after_commit hook.
    pending: list[dict[str, Any]] = db.session.info.setdefault(_PENDING_KEY, [])
    pending.append(_wire(logged.id, name, room, payload, logged.created_at))
    return logged.id


def emit_now(name: str, payload: dict[str, Any], room: str) -> None:
    """Emit an ephemeral event (presence, typing) that is not worth logging."""
    socketio.emit(name, payload, to=room)


def _wire(seq: int, name: str, room: str, payload: dict[str, Any],
          created_at: datetime | None) -> dict[str, Any]:
    """An event as browsers receive it, live or when catching up."""
    return {"seq": seq, "name": name, "room": room, "payload": payload,
            "at": created_at.isoformat() if created_at else None}


@sa_event.listens_for(Session, "after_commit")
def _emit_committed(session: Session) -> None:
    pending: list[dict[str, Any]] = session.info.pop(_PENDING_KEY, [])
    for wire in pending:
        try:
            socketio.emit("event", wire, to=wire["room"])
        except Exception:  # a broken queue must not undo a committed change
            log.exception("could not emit %s #%s", wire["name"], wire["seq"])


@sa_event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def events_since(seq: int, rooms: list[str], limit: int = 500) -> tuple[list[dict[str, Any]], bool]:
    """Logged events after ``seq`` in the given rooms; the flag says the gap was too long."""
    rows = list(db.session.scalars(
        select(RealtimeEvent)
        .where(RealtimeEvent.id > seq, RealtimeEvent.room.in_(rooms))
        .order_by(RealtimeEvent.id)
        .limit(limit + 1)
    ))
    return [_wire(r.id, r.name, r.room, r.payload, r.created_at)
            for r in rows[:limit]], len(rows) > limit


def last_seq() -> int:
    """The newest sequence number, where a fresh page starts listening."""
    return db.session.scalar(select(func.max(RealtimeEvent.id))) or 0


# Every page's header carries it (``data-seq``), read with the header's other figures.
header.register("live_seq", select(func.max(RealtimeEvent.id)).scalar_subquery(), dict)


def last_seq_in(rooms: list[str]) -> int:
    """The newest sequence number in the given rooms (a browser compares it with its own)."""
    return db.session.scalar(
        select(func.max(RealtimeEvent.id)).where(RealtimeEvent.room.in_(rooms))) or 0
