"""Dashboard use cases: chart data, the monthly range, the reporting settings (commits)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import format_date

from app.audit import record
from app.dashboard import metrics
from app.dashboard.queries import Dashboard
from app.extensions import db
from app.filters import _labels as labels
from app.models import Brand, BrandReportSettings, User, utcnow


def month_range(raw: str | None, today: date) -> metrics.DateRange:
    """The days of a month ``YYYY-MM`` (the previous month when empty), up to today."""
    if not raw:
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    else:
        try:
            year, month = raw.split("-")
            first = date(int(year), int(month), 1)
        except ValueError:
            raise metrics.RangeError("bad_date") from None
        if len(raw) != 7 or first > today:
            raise metrics.RangeError("future" if first > today else "bad_date")
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return metrics.DateRange(first, min(last, today))


def _minutes(value: float | None) -> float | None:
    return round(value / 60, 1) if value is not None else None


def _pct(value: float | None) -> float | None:
    return round(100 * value, 1) if value is not None else None


def chart_data(board: Dashboard) -> dict[str, Any]:
    """The series the page's charts draw (the tables beside them show the same numbers)."""
    names = labels()["category"]  # one build of the label table, not one per category
    pattern = {"day": "d MMM", "week": "d MMM", "month": "MMM y"}[board.grain]
    days = [str(format_date(d, pattern)) for d, _f in board.series]
    figs = [f for _d, f in board.series]
    return {
        "days": days,
        "mentions": [f.mentions for f in figs],
        "threads": [f.threads for f in figs],
        "answered_share": [_pct(f.answered_share) for f in figs],
        "sla_first_share": [_pct(f.sla_first_share) for f in figs],
        "frt_median": [_minutes(f.frt_median) for f in figs],
        "frtb_median": [_minutes(f.frtb_median) for f in figs],
        "polarity": [round(f.polarity_avg, 3) if f.polarity_avg is not None else None
                     for f in figs],
        "negative_share": [_pct(f.negative_share) for f in figs],
        "categories": list(metrics.CATEGORIES),
        "category_labels": [names.get(c, c) for c in metrics.CATEGORIES],
        "category_counts": [board.figures.categories[c] for c in metrics.CATEGORIES],
        "category_previous": [board.previous.categories[c] for c in metrics.CATEGORIES],
        "questions": list(metrics.QUESTIONS),
        "distribution": [list(board.figures.questions[q].distribution)
                         for q in metrics.QUESTIONS],
    }


def latest_comments(board: Dashboard, limit: int = 8) -> list[dict[str, Any]]:
    """The period's latest survey comments, personal data masked, with their polarity."""
    from app.surveys.services import latest_comments as answered
    from app.surveys.services import masked_comment

    zone = ZoneInfo(board.brand.timezone or "UTC")
    start = metrics.day_bounds(board.range.start, zone)[0]
    end = metrics.day_bounds(board.range.end, zone)[1]
    return [{"at": s.answered_at, "text": masked_comment(s), "polarity": s.comment_polarity,
             "resolution": s.resolution, "channel_id": s.channel_id}
            for s in answered(board.brand.id, start, end, limit)
            if board.channel is None or s.channel_id == board.channel.id]


def report_settings(brand: Brand) -> BrandReportSettings:
    """The brand's reporting settings (defaults, not stored, when never saved)."""
    current = db.session.get(BrandReportSettings, brand.id)
    if current is None:
        current = BrandReportSettings(
            brand_id=brand.id, surveys_enabled=False, survey_fallback="skip",
            survey_cooldown_days=30, survey_valid_days=14, public_page=False,
            public_min_threads=20)
    return current


def save_settings(actor: User, brand: Brand, values: dict[str, Any]) -> BrandReportSettings:
    """Store the brand's reporting settings (audited); commits."""
    current = db.session.get(BrandReportSettings, brand.id)
    if current is None:
        current = BrandReportSettings(brand_id=brand.id)
        db.session.add(current)
    for name, value in values.items():
        setattr(current, name, value)
    current.updated_at = utcnow()
    record(actor, "report_settings_changed", "brand", brand.id, **values)
    db.session.commit()
    # The public page follows at once (published, withdrawn, a new minimum), not a minute
    # later from the cache.
    from app.status.services import clear_cache

    clear_cache()
    return current
