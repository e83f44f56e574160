"""Use cases of live presence: the reply lock (take over, release) and who is on a thread.

The lock is soft (presence store, Redis or memory): it keeps two agents from answering the
same thread by accident; taking it from someone is audited.
"""

from __future__ import annotations

from typing import Any

from app.audit import record
from app.extensions import db
from app.models import User
from app.realtime import presence
from app.realtime.publish import INBOX_ROOM, emit_now, thread_room

#: The audit action of a take-over, the lock's as the claim's.
TAKEN_OVER = "taken_over"


def presence_of(thread_id: int) -> dict[str, Any]:
    """Viewers and reply lock of a thread, as sent to browsers."""
    store = presence.store()
    try:
        holder = store.holder(thread_id)
    except presence.PresenceUnavailable:
        holder = None  # unknown while the store is away; the send decides from the database
    return {"thread_id": thread_id, "viewers": store.viewers(thread_id),
            "lock": {"user_id": holder["user_id"], "name": holder["name"]} if holder else None}


def broadcast_presence(thread_id: int) -> dict[str, Any]:
    """Tell the thread page and the inbox who is there and who is replying."""
    state = presence_of(thread_id)
    emit_now("presence", state, thread_room(thread_id))
    emit_now("presence", state, INBOX_ROOM)
    return state


def lock_holder(thread_id: int) -> dict[str, Any] | None:
    """Who holds the thread's reply lock, or None; raises ``presence.PresenceUnavailable``
    when that cannot be known (the shared store is away)."""
    return presence.store().holder(thread_id)


def release_lock(thread_id: int, user_id: int) -> None:
    """Release the user's reply lock (a reply went out, a draft was abandoned)."""
    if presence.store().unlock(thread_id, user_id):
        broadcast_presence(thread_id)


def take_over(actor: User, thread_id: int, sid: str) -> None:
    """Take the reply lock, from another agent if need be: they are told at once, and the
    take-over is audited (committed once)."""
    _taken, previous = presence.store().lock(thread_id, actor.id, actor.name, sid, force=True)
    if previous and previous["user_id"] != actor.id:
        record(actor, TAKEN_OVER, "thread", thread_id, previous_user_id=previous["user_id"],
               previous_name=previous["name"])
        db.session.commit()
        emit_now("lock.taken", {"thread_id": thread_id,
                                "by": {"user_id": actor.id, "name": actor.name},
                                "previous": {"user_id": previous["user_id"],
                                             "name": previous["name"]}},
                 thread_room(thread_id))
    broadcast_presence(thread_id)
