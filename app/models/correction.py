"""An agent's correction of a thread's triage: category and urgency flags, before and after."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Base
from app.models.types import UTCDateTime, utcnow
from app.models.user import User


class TriageCorrection(Base):
    """Who corrected which thread's triage, when, from what to what.

    ``text`` and ``language`` keep the inbound text the triage was made on, so a
    correction can be exported as a labelled line for training even after the thread's
    messages are gone.
    """

    __tablename__ = "triage_corrections"
    __table_args__ = (Index("ix_triage_corrections_thread", "thread_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    category_before: Mapped[str | None] = mapped_column(String(30))
    category_after: Mapped[str] = mapped_column(String(30))
    urgency_before: Mapped[list[str]] = mapped_column(JSON, default=list)
    urgency_after: Mapped[list[str]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(8))

    user: Mapped[User] = relationship()
