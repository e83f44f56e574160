"""A brand's reporting choices: satisfaction surveys and the public transparency page.

Kept apart from ``Brand.settings`` (SLA calendars, templates) so that the dashboard's options
have typed columns and their own settings page.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models.types import UTCDateTime, utcnow


class SurveyFallback(StrEnum):
    """What to do when no private route is open for the survey link."""

    SKIP = "skip"
    PUBLIC = "public"


class BrandReportSettings(Base):
    """One brand's survey and public-page options (defaults: both off)."""

    __tablename__ = "brand_report_settings"

    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), primary_key=True)
    surveys_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: "skip" (only by a private route) or "public" (a public reply when none is open).
    survey_fallback: Mapped[str] = mapped_column(String(10), default=SurveyFallback.SKIP.value)
    #: At most one survey per customer in this many days.
    survey_cooldown_days: Mapped[int] = mapped_column(Integer, default=30)
    #: How long a survey link stays valid.
    survey_valid_days: Mapped[int] = mapped_column(Integer, default=14)
    public_page: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Figures are shown on the public page only over at least this many threads.
    public_min_threads: Mapped[int] = mapped_column(Integer, default=20)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
