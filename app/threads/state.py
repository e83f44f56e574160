"""A thread's state transitions.

Each function changes one thread in memory (nothing is flushed or committed here) and says
whether anything changed; the caller's use case bumps the version, records the audit event,
publishes and commits. The statuses: new → open (someone took it) → waiting (an agent's
reply went out) → resolved / closed; a customer writing again reopens a waiting or resolved
thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from app.models import Thread, ThreadStatus, Visibility
from app.models.thread import NO_DUE, urgency_bits

_NEW, _OPEN = ThreadStatus.NEW.value, ThreadStatus.OPEN.value
_WAITING, _RESOLVED = ThreadStatus.WAITING.value, ThreadStatus.RESOLVED.value
_CLOSED = ThreadStatus.CLOSED.value
#: The statuses a customer's new message takes back to open.
REOPENED_BY_A_CUSTOMER = (_WAITING, _RESOLVED)


class ThreadState(Protocol):
    """What the transitions and the due-time rule read and write of a thread: a stored
    ``Thread``, or a ``NewThread`` being built before its insert."""

    status: str
    visibility: str
    category: str | None
    language: str | None
    sentiment: float | None
    urgency: list[str]
    priority: float
    last_message_at: datetime
    first_response_at: datetime | None
    first_response_due: datetime | None
    resolution_due: datetime | None
    resolved_at: datetime | None
    sla_due: datetime


@dataclass(slots=True)
class NewThread:
    """A thread not stored yet: ingest builds one per new conversation of a page from its
    posts, then inserts its row (insert-or-ignore on the thread's unique key)."""

    channel_id: int
    author_id: int
    origin_platform_id: str
    subject: str
    created_at: datetime
    last_message_at: datetime
    visibility: str
    status: str = ThreadStatus.NEW.value
    category: str | None = None
    language: str | None = None
    sentiment: float | None = None
    urgency: list[str] = field(default_factory=list)
    priority: float = 0.0
    first_response_at: datetime | None = None
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    resolved_at: datetime | None = None
    sla_due: datetime = NO_DUE
    #: Created (1) and told to browsers (2), as a stored thread's first change would.
    version: int = 2
    #: Set once inserted.
    id: int | None = None
    assignee_id: int | None = None

    ROW = ("channel_id", "author_id", "origin_platform_id", "subject", "status",
           "visibility", "category", "language", "sentiment", "urgency", "priority",
           "created_at", "last_message_at", "first_response_due", "resolution_due",
           "sla_due", "version")

    def row(self) -> dict[str, object]:
        """The values of its INSERT (with the urgency flags' bit set: a Core insert runs no
        ORM validator)."""
        values: dict[str, object] = {name: getattr(self, name) for name in self.ROW}
        values["urgency_bits"] = urgency_bits(self.urgency)
        return values


def bump_version(thread: Thread) -> None:
    """Every change an agent could be racing against moves the version (stale detection)."""
    thread.version = (thread.version or 1) + 1


def receive_inbound(thread: ThreadState, *, at: datetime, private: bool, category: str,
                    language: str | None, polarity: float | None,
                    urgency: Iterable[str], priority: float) -> None:
    """A customer's message joined the thread: its time, tone and triage, and a reopening.

    The category and language are the first ones known (an "other" category is refined);
    the sentiment is the latest; urgency flags accumulate; the priority only goes up.
    """
    if thread.last_message_at is None or at >= thread.last_message_at:
        thread.last_message_at = at
    if private and thread.visibility != Visibility.PRIVATE.value:
        thread.visibility = Visibility.PRIVATE.value
    if thread.category is None or thread.category == "other":
        thread.category = category
    if thread.language is None:
        thread.language = language
    thread.sentiment = polarity
    flags = list(thread.urgency or [])
    for name in urgency:
        if name not in flags:
            flags.append(name)
    thread.urgency = flags
    thread.priority = max(thread.priority or 0.0, priority)
    if thread.status in REOPENED_BY_A_CUSTOMER:
        reopen(thread)


def record_reply_sent(thread: Thread, sent_at: datetime) -> None:
    """An agent's reply went out: the first response is stamped, the thread waits for the
    customer."""
    if thread.first_response_at is None:
        thread.first_response_at = sent_at
    if thread.status in (_NEW, _OPEN):
        thread.status = _WAITING
    thread.last_message_at = max(thread.last_message_at, sent_at)


def take(thread: Thread, assignee_id: int | None) -> None:
    """Someone works on the thread now: assigned, and open (a resolved one reopens)."""
    thread.assignee_id = assignee_id
    reopen(thread)


def assign(thread: Thread, assignee_id: int | None) -> None:
    """Given to someone (or to no one); a new thread given to someone is open."""
    thread.assignee_id = assignee_id
    if assignee_id is not None and thread.status == _NEW:
        thread.status = _OPEN


def reopen(thread: ThreadState) -> None:
    """Back to open: no resolution (nor close reason, for a stored thread)."""
    thread.status = _OPEN
    thread.resolved_at = None
    if isinstance(thread, Thread):
        thread.close_reason = None


def resolve(thread: Thread, at: datetime) -> None:
    """Resolved now (its clocks stop)."""
    thread.status = _RESOLVED
    thread.resolved_at = at
    thread.close_reason = None


def close(thread: Thread, at: datetime, reason: str | None = None) -> None:
    """Closed (for good), with a reason ("abusive"...); it keeps its first resolution time."""
    thread.status = _CLOSED
    thread.close_reason = reason
    thread.resolved_at = thread.resolved_at or at


def set_status(thread: Thread, status: str, at: datetime, reason: str | None = None) -> None:
    """Move to any status through its transition."""
    if status == _RESOLVED:
        resolve(thread, at)
    elif status == _CLOSED:
        close(thread, at, reason)
    elif status in (_OPEN, _WAITING, _NEW):
        thread.status = status
        thread.resolved_at = None
        thread.close_reason = None
    else:
        raise ValueError(f"unknown thread status {status!r}")
