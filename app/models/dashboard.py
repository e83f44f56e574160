"""The dashboard's derived rows: one fact per thread, one rollup row per (brand, channel, day).

Both are derived from the raw tables by the rollup job (``app/dashboard/upkeep.py``) and can be
rebuilt from them (``flask --app wsgi dashboard-rebuild``); the facts also keep what must not
be rewritten later: the first response time in business hours with the hours in force when the
job first saw the reply.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.dashboard.metrics import COUNT_COLUMNS, SCALAR_COLUMNS
from app.extensions import Base
from app.models.thread import Message
from app.models.types import UTCDateTime, utcnow

# The rollup upkeep rewrites a (channel, local day) from the day's public inbound messages:
# found by this index, not by a scan (one more index entry per ingested message).
Index("ix_messages_channel_time", Message.channel_id, Message.platform_created_at)


class ThreadFact(Base):
    """What one thread contributes to the rollups (see ``app.dashboard.metrics.Fact``)."""

    __tablename__ = "dashboard_thread_facts"
    __table_args__ = (
        Index("ix_dashboard_facts_channel_day", "channel_id", "day"),
        Index("ix_dashboard_facts_brand_reply", "brand_id", "first_reply_at"),
    )

    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    day: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    frt_seconds: Mapped[int | None] = mapped_column(Integer)
    frt_business_seconds: Mapped[int | None] = mapped_column(Integer)
    moved: Mapped[bool] = mapped_column(Boolean, default=False)
    loop_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    sla_first: Mapped[bool | None] = mapped_column(Boolean)
    sla_res: Mapped[bool | None] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(String(30))
    urgency: Mapped[list[str]] = mapped_column(JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DayRollup(Base):
    """Summed figures of one brand, channel and local day.

    Every column is a count (or ``polarity_sum``) so that any range and any set of channels is
    a column-wise SUM; the ``frt_h*``/``frtb_h*`` columns are fixed-bucket histograms of the
    first response time (wall-clock, business hours). The columns named in
    ``app.dashboard.metrics.COUNT_COLUMNS`` are added below the class, one per name.
    """

    __tablename__ = "dashboard_day_rollups"
    __table_args__ = (Index("ix_dashboard_rollups_brand_day", "brand_id", "day"),)

    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    polarity_sum: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MonthRollup(Base):
    """The sum of a (brand, channel) month's day rows (``month`` is the month's first day).

    Long ranges read whole months here and only their partial edge months from the day rows:
    two years are 24 rows a channel instead of 731.
    """

    __tablename__ = "dashboard_month_rollups"
    __table_args__ = (Index("ix_dashboard_month_rollups_brand_month", "brand_id", "month"),)

    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    polarity_sum: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# Declarative accepts columns added to a mapped class after its creation: one integer column
# per summed count, named once in the metrics module (the rollup SQL reads the same names).
for _model in (DayRollup, MonthRollup):
    for _name in COUNT_COLUMNS:
        setattr(_model, _name, mapped_column(_name, Integer, nullable=False, default=0))
    assert set(SCALAR_COLUMNS) <= set(_model.__table__.c.keys())


class DashboardWatermark(Base):
    """How far the rollup job has read the raw tables (one row per job name)."""

    __tablename__ = "dashboard_watermarks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    message_id: Mapped[int] = mapped_column(Integer, default=0)
    audit_id: Mapped[int] = mapped_column(Integer, default=0)
    survey_id: Mapped[int] = mapped_column(Integer, default=0)
    run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
