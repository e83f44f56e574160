"""Threads (one customer question, public or private) and their messages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.extensions import Base
from app.models.author import Author
from app.models.brand import Channel
from app.models.types import UTCDateTime, utcnow
from app.models.user import User
from tone.types import URGENCY_FLAGS


class ThreadStatus(StrEnum):
    """Life cycle of a thread in the inbox."""

    NEW = "new"
    OPEN = "open"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = (ThreadStatus.NEW.value, ThreadStatus.OPEN.value, ThreadStatus.WAITING.value)

#: The predicate of the inbox's partial indexes on the active statuses. A query uses them
#: only when it states this very condition with literal values (SQLite cannot prove a
#: partial index from bound parameters, nor PostgreSQL from a generic plan's).
ACTIVE_PREDICATE = "status IN ('new', 'open', 'waiting')"
#: The predicate of the partial indexes on urgent active threads (same literal rule).
URGENT_PREDICATE = "urgency_bits > 0"
URGENT_ACTIVE_PREDICATE = f"{URGENT_PREDICATE} AND {ACTIVE_PREDICATE}"

#: Urgency flags as bits of ``Thread.urgency_bits`` (the order is the storage format: append
#: new flags at the end, never reorder).
URGENCY_BITS: dict[str, int] = {name: 1 << i for i, name in enumerate(URGENCY_FLAGS)}


def urgency_bits(flags: Iterable[str] | None) -> int:
    """The bit set of a list of urgency flags (unknown names carry no bit)."""
    bits = 0
    for name in flags or ():
        bits |= URGENCY_BITS.get(name, 0)
    return bits


def bit_sets_with(flag: str) -> list[int]:
    """Every bit set that holds ``flag``: the filter becomes ``urgency_bits IN (...)``, which
    an index on ``urgency_bits`` serves (a bitwise AND would not)."""
    bit = URGENCY_BITS[flag]
    return [value for value in range(1 << len(URGENCY_BITS)) if value & bit]

#: ``sla_due`` of a thread with no clock running: sorts after every real due time.
NO_DUE = datetime(9000, 1, 1, tzinfo=UTC)


class Visibility(StrEnum):
    """Whether the exchange is read by everyone or moved to private messages."""

    PUBLIC = "public"
    PRIVATE = "private"


class Direction(StrEnum):
    """Inbound from a customer, outbound from an agent."""

    INBOUND = "in"
    OUTBOUND = "out"


class SendState(StrEnum):
    """Outbox state of an outbound message; ``unknown`` means a timeout to reconcile."""

    PENDING = "pending"
    SENT = "sent"
    UNKNOWN = "unknown"
    FAILED = "failed"



def _partial_index(name: str, *columns: str, where: str) -> Index:
    """An index over the rows ``where`` holds, the same condition on both databases."""
    return Index(name, *columns, sqlite_where=sql_text(where),
                 postgresql_where=sql_text(where))


class Thread(Base):
    """One conversation with a customer on one channel."""

    __tablename__ = "threads"
    __table_args__ = (
        UniqueConstraint("channel_id", "origin_platform_id"),
        # The inbox's two sort orders, keyset-paginated on (key, id).
        Index("ix_threads_inbox_priority", "status", "priority", "id"),
        Index("ix_threads_inbox_recent", "status", "last_message_at", "id"),
        Index("ix_threads_channel_status", "channel_id", "status", "priority", "id"),
        Index("ix_threads_assignee_status", "assignee_id", "status"),
        # The SLA sort, and the "SLA breached" filter (sla_due < now): sla_due is the due
        # time the thread is racing against, so the first-response and resolution due
        # times need no index of their own (each was rewritten for every new thread: two
        # of the twelve index writes ingest paid per thread).
        Index("ix_threads_inbox_sla", "status", "sla_due", "id"),
        # Inbox filters (category, language).
        Index("ix_threads_category_status", "category", "status"),
        Index("ix_threads_language_status", "language", "status"),
        # Issue 20: the active statuses ordered by each sort key (partial: an active
        # thread's index entries only), the whole table by each sort key (status "all"),
        # the urgency filter and the opening-date filter.
        _partial_index("ix_threads_active_priority", "priority", "id", where=ACTIVE_PREDICATE),
        _partial_index("ix_threads_active_recent", "last_message_at", "id", where=ACTIVE_PREDICATE),
        _partial_index("ix_threads_active_sla", "sla_due", "id", where=ACTIVE_PREDICATE),
        # "Mine, most urgent first": the agent's own view.
        _partial_index("ix_threads_active_assignee", "assignee_id", "priority", "id",
                       where=ACTIVE_PREDICATE),
        # The urgency filter on the active statuses, most urgent or least time left first
        # (also "SLA breached"): urgent active threads only, a few per cent of the table.
        _partial_index("ix_threads_active_urgent", "priority", "id",
                       where=URGENT_ACTIVE_PREDICATE),
        _partial_index("ix_threads_active_urgent_sla", "sla_due", "id",
                       where=URGENT_ACTIVE_PREDICATE),
        Index("ix_threads_all_priority", "priority", "id"),
        Index("ix_threads_all_recent", "last_message_at", "id"),
        Index("ix_threads_all_sla", "sla_due", "id"),
        Index("ix_threads_urgency_status", "urgency_bits", "status"),
        # The urgency filter on every status, newest or most urgent first: urgent threads
        # only (without them "all statuses, scam, newest" walked ten thousand threads).
        _partial_index("ix_threads_urgent_recent", "last_message_at", "id",
                       where=URGENT_PREDICATE),
        _partial_index("ix_threads_urgent_priority", "priority", "id", where=URGENT_PREDICATE),
        # A channel's counts per status over opening dates (each count an index range,
        # bounded by the cap, instead of the month's threads read and filtered).
        Index("ix_threads_channel_status_created", "channel_id", "status", "created_at"),
        # The sentiment filter's counts: without it a count of a common status with a
        # common sentiment is a sequential scan betting on where the matches lie.
        Index("ix_threads_status_sentiment", "status", "sentiment"),
        Index("ix_threads_status_created", "status", "created_at"),
        Index("ix_threads_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"), index=True)
    origin_platform_id: Mapped[str] = mapped_column(String(128))
    subject: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default=ThreadStatus.NEW.value)
    visibility: Mapped[str] = mapped_column(String(10), default=Visibility.PUBLIC.value)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    priority: Mapped[float] = mapped_column(Float, default=0.0)
    category: Mapped[str | None] = mapped_column(String(30))
    language: Mapped[str | None] = mapped_column(String(8))
    sentiment: Mapped[float | None] = mapped_column(Float)
    urgency: Mapped[list[str]] = mapped_column(JSON, default=list)
    # ``urgency`` as a bit set (``URGENCY_BITS``), kept by ``_keep_urgency_bits`` on every
    # assignment of ``urgency`` and written beside it by Core inserts: the inbox filters on it.
    urgency_bits: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    close_reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The due time that applies now (``app.threads.due``, kept by its before_flush hook):
    # the "time left" sort.
    sla_due: Mapped[datetime] = mapped_column(UTCDateTime(), default=NO_DUE)
    # Bumped on every change an agent could be racing against (stale-reply detection).
    version: Mapped[int] = mapped_column(Integer, default=1)

    channel: Mapped[Channel] = relationship()
    author: Mapped[Author] = relationship()
    assignee: Mapped[User | None] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="thread", order_by="Message.platform_created_at, Message.id"
    )

    @validates("urgency")
    def _keep_urgency_bits(self, _key: str, flags: list[str] | None) -> list[str] | None:
        """Every assignment of the flags (ingest, corrections, re-triage) moves the bits."""
        self.urgency_bits = urgency_bits(flags)
        return flags


class Message(Base):
    """A message in a thread: an inbound mention, comment or DM, or an agent's reply."""

    __tablename__ = "messages"
    __table_args__ = (
        # Dedupe on the platform's own id: insert-or-ignore against this constraint.
        UniqueConstraint("channel_id", "platform_id"),
        Index("ix_messages_thread_time", "thread_id", "platform_created_at", "id"),
        Index("ix_messages_agent_sent", "agent_id", "sent_at"),
        Index("ix_messages_send_state", "send_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    platform_id: Mapped[str | None] = mapped_column(String(128))
    parent_platform_id: Mapped[str | None] = mapped_column(String(128))
    direction: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(20))
    visibility: Mapped[str] = mapped_column(String(10), default=Visibility.PUBLIC.value)
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("authors.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    platform_created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    language: Mapped[str | None] = mapped_column(String(8))
    polarity: Mapped[float | None] = mapped_column(Float)
    subjectivity: Mapped[float | None] = mapped_column(Float)
    category: Mapped[str | None] = mapped_column(String(30))
    urgency: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    pii: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # What the platform says besides the text: photos and files ({type, url, preview_url}),
    # hidden by the Page (Graph is_hidden), removed by its author, earlier versions of an
    # edited post ({platform_id, text}, oldest first).
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    edit_history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Outbox fields, outbound only.
    send_state: Mapped[str | None] = mapped_column(String(10))
    send_error: Mapped[str | None] = mapped_column(String(500))
    send_attempts: Mapped[int] = mapped_column(Integer, default=0)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_acknowledgement: Mapped[bool] = mapped_column(Boolean, default=False)

    thread: Mapped[Thread] = relationship(back_populates="messages")
    author: Mapped[Author | None] = relationship()
    agent: Mapped[User | None] = relationship()

