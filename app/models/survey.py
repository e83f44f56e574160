"""Satisfaction surveys: one per thread at most, sent once, answered once."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Base
from app.models.thread import Thread
from app.models.types import UTCDateTime, utcnow


class SurveyState(StrEnum):
    """Where a survey stands. ``skipped`` rows remember why a thread got none."""

    PENDING = "pending"  # row stored, link not yet handed to the outbox
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class Survey(Base):
    """The survey of one resolved thread (unique per thread: never sent twice)."""

    __tablename__ = "surveys"
    __table_args__ = (
        Index("ix_surveys_author_created", "author_id", "created_at"),
        Index("ix_surveys_channel_day", "channel_id", "day"),
        Index("ix_surveys_brand_answered", "brand_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), unique=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    language: Mapped[str] = mapped_column(String(8), default="en")
    state: Mapped[str] = mapped_column(String(10), default=SurveyState.PENDING.value)
    #: "private_message", "private_reply", "public_reply" or why it was skipped.
    route: Mapped[str | None] = mapped_column(String(30))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    #: The brand's local day it was sent (the rollups count surveys by it).
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    speed: Mapped[int | None] = mapped_column(Integer)
    listening: Mapped[int | None] = mapped_column(Integer)
    resolution: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    comment_polarity: Mapped[float | None] = mapped_column(Float)
    #: Personal data found in the comment by the triage (masked on the dashboard).
    comment_pii: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    thread: Mapped[Thread] = relationship()
