"""Brands and the social channels they connect."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Base
from app.models.types import UTCDateTime, utcnow


class ChannelStatus(StrEnum):
    """What the channel's health badge shows."""

    OK = "ok"
    NEW = "new"
    RATE_LIMITED = "rate_limited"
    NEEDS_RECONNECTION = "needs_reconnection"
    ERROR = "error"
    DISABLED = "disabled"


class Brand(Base):
    """A brand whose public traffic the care team works."""

    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    timezone: Mapped[str] = mapped_column(String(60), default="Europe/Paris")
    # Business calendars, SLA targets, templates: edited as a whole by admins.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    channels: Mapped[list[Channel]] = relationship(back_populates="brand")


class Channel(Base):
    """One connected social account: an X account or a Facebook page."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("network", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    network: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    account_id: Mapped[str] = mapped_column(String(64))
    handle: Mapped[str | None] = mapped_column(String(64))
    credentials_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    api_base_url: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(30), default=ChannelStatus.NEW.value)
    status_detail: Mapped[str | None] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    poll_cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    private_cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    poll_interval: Mapped[int] = mapped_column(Integer, default=60)
    last_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rate_limited_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    backoff_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The last platform webhook received for this account: while recent, polling slows down.
    webhook_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The X plan includes the filtered stream: mentions arrive through it, polling backfills.
    stream_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The stream's last sign of life (connection, post or keep-alive), written at most every
    # few seconds: while recent, polling is only the safety net.
    stream_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last poll of public mentions (the stream's safety net counts from it).
    public_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The adaptive poll pace: seconds until the next poll and why (the channel page shows it).
    poll_pace_seconds: Mapped[int | None] = mapped_column(Integer)
    poll_pace_reason: Mapped[str | None] = mapped_column(String(40))
    # Which rate budget the channel draws on (channels of one platform app share one).
    rate_budget_key: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    brand: Mapped[Brand] = relationship(back_populates="channels")
