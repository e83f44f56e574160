"""People who write to the brand on a social network."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models.types import UTCDateTime, utcnow


class Segment(StrEnum):
    """Customer segment: it changes business hours, SLA targets and escalation delays."""

    PROFESSIONAL = "professional"
    PRIVATE = "private"


class Author(Base):
    """A customer account on one network, identified by the platform's own id."""

    __tablename__ = "authors"
    __table_args__ = (UniqueConstraint("network", "platform_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network: Mapped[str] = mapped_column(String(20))
    platform_id: Mapped[str] = mapped_column(String(64))
    handle: Mapped[str] = mapped_column(String(120))
    display_name: Mapped[str | None] = mapped_column(String(200))
    followers: Mapped[int | None] = mapped_column(Integer)
    segment: Mapped[str] = mapped_column(String(20), default=Segment.PRIVATE.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
