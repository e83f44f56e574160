"""A platform app's rate budget as its last answer described it, shared by every process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models.types import UTCDateTime, utcnow


class RateBudget(Base):
    """The newest rate-limit figures one platform app (or one account) answered with.

    X: ``x-rate-limit-remaining`` / ``-limit`` / ``-reset``; Graph: the highest percentage
    of ``x-app-usage`` / ``x-business-use-case-usage`` and its time to regain access.
    """

    __tablename__ = "rate_budgets"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    remaining: Mapped[int | None] = mapped_column(Integer)
    limit: Mapped[int | None] = mapped_column(Integer)
    reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    usage_percent: Mapped[float | None] = mapped_column(Float)
    regain_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
