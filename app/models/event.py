"""The real-time event log: what was published to browsers, for catch-up after a reconnect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models.types import UTCDateTime, utcnow


class RealtimeEvent(Base):
    """One event published to browsers; its id is the sequence number clients resume from."""

    __tablename__ = "realtime_events"
    #: A page's heartbeat asks for the newest event of its rooms (a thread's room may be quiet
    #: for months): one index look-up, not a scan back through the log.
    __table_args__ = (Index("ix_realtime_events_room_id", "room", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(40))
    room: Mapped[str] = mapped_column(String(40), default="inbox")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
