"""Read side of the inbox: filtered, keyset-paginated thread lists (no OFFSET)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import OPEN_STATUSES, Channel, Thread, ThreadStatus

SORTS = ("priority", "recent")
STATUS_FILTERS = ("active", *[s.value for s in ThreadStatus], "all")


class BadCursor(ValueError):
    """The pagination cursor does not decode; the list restarts from the top."""


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox shows; built from the query string by ``from_args``."""

    status: str = "active"
    channel_id: int | None = None
    sort: str = "priority"
    errors: tuple[str, ...] = field(default=())

    @classmethod
    def from_args(cls, args: Any) -> InboxFilters:
        """Parse query arguments; unknown values fall back to defaults and are reported."""
        errors: list[str] = []
        status = args.get("status", "active")
        if status not in STATUS_FILTERS:
            errors.append("status")
            status = "active"
        sort = args.get("sort", "priority")
        if sort not in SORTS:
            errors.append("sort")
            sort = "priority"
        channel_raw = args.get("channel", "")
        channel_id: int | None = None
        if channel_raw:
            if channel_raw.isdigit():
                channel_id = int(channel_raw)
            else:
                errors.append("channel")
        return cls(status=status, channel_id=channel_id, sort=sort, errors=tuple(errors))


def encode_cursor(thread: Thread, sort: str) -> str:
    """An opaque token that resumes the list after ``thread``."""
    key: Any = thread.priority if sort == "priority" else thread.last_message_at.isoformat()
    raw = json.dumps([key, thread.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, sort: str) -> tuple[Any, int]:
    """Decode a cursor token; raises BadCursor on anything malformed."""
    try:
        padded = token + "=" * (-len(token) % 4)
        key, thread_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(thread_id, int):
            raise TypeError("id")
        if sort == "priority":
            return float(key), thread_id
        return datetime.fromisoformat(key), thread_id
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise BadCursor(str(exc)) from exc


def _filtered(filters: InboxFilters) -> Select[tuple[Thread]]:
    stmt = select(Thread)
    if filters.status == "active":
        stmt = stmt.where(Thread.status.in_(OPEN_STATUSES))
    elif filters.status != "all":
        stmt = stmt.where(Thread.status == filters.status)
    if filters.channel_id is not None:
        stmt = stmt.where(Thread.channel_id == filters.channel_id)
    return stmt


def list_threads(
    filters: InboxFilters, after: str | None = None, limit: int = 50
) -> tuple[list[Thread], str | None]:
    """One page of threads and the cursor of the next page (None at the end)."""
    stmt = _filtered(filters)
    if filters.sort == "priority":
        order = (Thread.priority.desc(), Thread.id.desc())
        sort_col = Thread.priority
    else:
        order = (Thread.last_message_at.desc(), Thread.id.desc())
        sort_col = Thread.last_message_at
    if after:
        key, last_id = decode_cursor(after, filters.sort)
        stmt = stmt.where(or_(sort_col < key, and_(sort_col == key, Thread.id < last_id)))
    stmt = stmt.options(joinedload(Thread.author), joinedload(Thread.channel),
                        joinedload(Thread.assignee))
    rows = list(db.session.scalars(stmt.order_by(*order).limit(limit + 1)).unique())
    next_cursor = encode_cursor(rows[limit - 1], filters.sort) if len(rows) > limit else None
    return rows[:limit], next_cursor


def channels() -> list[Channel]:
    """Channels for the filter menu."""
    return list(db.session.scalars(select(Channel).order_by(Channel.name)))


def author_history(thread: Thread, limit: int = 20) -> list[Thread]:
    """The author's other threads, newest first."""
    stmt = (
        select(Thread)
        .where(Thread.author_id == thread.author_id, Thread.id != thread.id)
        .order_by(Thread.last_message_at.desc(), Thread.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
