"""What a browser hears of a changed thread."""

from __future__ import annotations

from typing import Any

from app.models import Thread
from app.realtime.publish import INBOX_ROOM, publish
from app.threads.state import NewThread


def thread_summary(thread: Thread | NewThread, new: bool = False,
                   message_ids: list[int] | None = None) -> dict[str, Any]:
    """Which thread changed, and its version (ids, not content).

    The inbox fetches the row it shows (rendered for that agent and that filter), a thread
    page fetches the new messages; so the event carries ids, not content: every open
    browser receives every event and the event log keeps them. ``message_ids``, when given,
    lists the thread's new messages (ingest's page event), for an open thread page to fetch.
    """
    summary: dict[str, Any] = {"id": thread.id, "new": new, "version": thread.version,
                               "status": thread.status, "assignee_id": thread.assignee_id}
    if message_ids is not None:
        summary["message_ids"] = message_ids
    return summary


def publish_thread_updated(thread: Thread) -> int:
    """Flush, then tell every inbox the thread changed (emitted once the caller commits)."""
    from app.extensions import db

    db.session.flush()
    return publish("thread.updated", thread_summary(thread), INBOX_ROOM)
