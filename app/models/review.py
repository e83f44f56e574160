"""The tone committee: monthly reviews, sampled replies, scores, reports, disputes."""

from __future__ import annotations

from datetime import datetime
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
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Base
from app.models.brand import Brand
from app.models.thread import Message
from app.models.types import UTCDateTime, utcnow
from app.models.user import User


class ReviewStatus(StrEnum):
    """A review is scored while open; closing it writes the agents' reports."""

    OPEN = "open"
    CLOSED = "closed"


class DisputeStatus(StrEnum):
    """An agent's dispute of one score, and the supervisor's answer (a rejection is final)."""

    OPEN = "open"
    ACCEPTED = "accepted"
    PARTLY_ACCEPTED = "partly_accepted"
    REJECTED = "rejected"


class ReviewSettings(Base):
    """The committee's settings of one brand."""

    __tablename__ = "review_settings"

    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), primary_key=True)
    sample_size: Mapped[int] = mapped_column(Integer, default=10)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class RubricVersion(Base):
    """One version of a brand's rubric; never edited once saved (a change is a new version).

    ``criteria`` is a list of ``{key, name: {en, fr}, description: {en, fr}, weight, points,
    na_allowed, critical}``.
    """

    __tablename__ = "review_rubrics"
    __table_args__ = (UniqueConstraint("brand_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    version: Mapped[int] = mapped_column(Integer)
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(300))


class Review(Base):
    """One brand's committee for one month: opened exactly once (the unique key)."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("brand_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, in the brand's time zone
    seed: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default=ReviewStatus.OPEN.value)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("review_rubrics.id"))
    sample_size: Mapped[int] = mapped_column(Integer)
    draws: Mapped[int] = mapped_column(Integer, default=1)
    # Replies swapped out (a wrong attribution, a test message): never drawn again.
    excluded: Mapped[list[int]] = mapped_column(JSON, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    brand: Mapped[Brand] = relationship()
    rubric: Mapped[RubricVersion] = relationship()
    items: Mapped[list[ReviewItem]] = relationship(
        back_populates="review", order_by="ReviewItem.agent_id, ReviewItem.position")


class ReviewItem(Base):
    """A sampled reply and its (official) scores; calibration scores live apart."""

    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("review_id", "message_id"),
        Index("ix_review_items_review_agent", "review_id", "agent_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    stratum: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer)
    # criterion key -> chosen value, or None for N/A; a key absent is not scored yet.
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    score: Mapped[float | None] = mapped_column(Float)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[str] = mapped_column(Text, default="")
    worth_sharing: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    calibration: Mapped[bool] = mapped_column(Boolean, default=False)
    scored_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Aids computed at the draw, shown beside the reply (never a score).
    language: Mapped[str | None] = mapped_column(String(8))
    polarity: Mapped[float | None] = mapped_column(Float)
    subjectivity: Mapped[float | None] = mapped_column(Float)
    humour: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    pii: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    review: Mapped[Review] = relationship(back_populates="items")
    message: Mapped[Message] = relationship()
    agent: Mapped[User] = relationship(foreign_keys=[agent_id])


class CalibrationScore(Base):
    """One supervisor's blind scores of a calibration reply."""

    __tablename__ = "review_calibration_scores"
    __table_args__ = (UniqueConstraint("item_id", "rater_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id"))
    rater_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    rater: Mapped[User] = relationship()


class AgentReport(Base):
    """An agent's monthly result, written when the review closes (updated by disputes)."""

    __tablename__ = "review_reports"
    __table_args__ = (UniqueConstraint("review_id", "agent_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    replies: Mapped[int] = mapped_column(Integer, default=0)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    # criterion key -> mean criterion score (0..1) over the replies where it was scored.
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    polarity: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    review: Mapped[Review] = relationship()
    agent: Mapped[User] = relationship()


class Dispute(Base):
    """An agent's dispute of one criterion's score on one reply of their report."""

    __tablename__ = "review_disputes"
    __table_args__ = (Index("ix_review_disputes_status", "status", "raised_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("review_reports.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id"))
    criterion: Mapped[str] = mapped_column(String(40))
    original: Mapped[int | None] = mapped_column(Integer)  # None: it was N/A
    proposed: Mapped[int | None] = mapped_column(Integer)  # None: N/A proposed
    reason: Mapped[str] = mapped_column(Text)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default=DisputeStatus.OPEN.value)
    final: Mapped[int | None] = mapped_column(Integer)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    report: Mapped[AgentReport] = relationship()
    item: Mapped[ReviewItem] = relationship()
    raised_by: Mapped[User] = relationship(foreign_keys=[raised_by_id])


class ReviewNotification(Base):
    """A notification in the console: a review opened, a report ready, a dispute."""

    __tablename__ = "review_notifications"
    __table_args__ = (Index("ix_review_notifications_user", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
