"""The public page's figures, computed at most once a minute per process and served from memory.

Only aggregates leave this module: shares, medians, counts, opening hours. No thread content
and no personal data is ever read here (the "right now" median reads facts' response times).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.dashboard import metrics
from app.dashboard.queries import range_sums, today_of
from app.extensions import db
from app.models import Brand, BrandReportSettings, ThreadFact, utcnow
from app.sla.blocks import DAY_NAMES, SEGMENTS
from app.sla.policy import policy_for

#: Seconds a computed page is served before it is computed again.
CACHE_SECONDS = 60
#: "Very responsive", as Facebook pages show it: over the last 7 days, at least 90% answered
#: and a median first response within 15 minutes.
RESPONSIVE_SHARE = 0.9
RESPONSIVE_MEDIAN = 15 * 60
#: Fewer first responses than this in the last two hours: no "right now" estimate.
NOW_MIN_REPLIES = 3


@dataclass(frozen=True)
class Window:
    """Figures over a window of days (None when under the brand's minimum)."""

    days: int
    threads: int
    shown: bool
    answered_share: float | None
    frt_median: float | None


@dataclass(frozen=True)
class PublicStatus:
    """What the public page, its JSON and its badge show."""

    brand_name: str
    slug: str
    min_threads: int
    month: Window
    week: Window
    very_responsive: bool
    now_median: float | None
    now_replies: int
    hours: dict[str, list[tuple[str, list[str]]]]
    computed_at: datetime


class _Cache:
    """slug -> (monotonic expiry, status or None for "not published")."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[str, tuple[float, PublicStatus | None]] = {}

    def get(self, slug: str) -> tuple[bool, PublicStatus | None]:
        with self.lock:
            entry = self.entries.get(slug)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, slug: str, value: PublicStatus | None) -> None:
        with self.lock:
            if len(self.entries) > 1000:  # bounded: unknown slugs cannot grow it for ever
                self.entries.clear()
            self.entries[slug] = (time.monotonic() + CACHE_SECONDS, value)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


CACHE = _Cache()
#: How many times the figures were computed (the test of "traffic never reaches the database").
COMPUTED = [0]


def _window(brand: Brand, days: int, minimum: int, now: datetime) -> Window:
    today = today_of(brand, now)
    rng = metrics.DateRange(today - timedelta(days=days - 1), today)
    figs = metrics.figures(range_sums(brand.id, rng))
    eligible = figs.threads - figs.excluded
    shown = eligible >= minimum
    return Window(days, eligible, shown, figs.answered_share if shown else None,
                  figs.frt_median if shown else None)


def _hours(brand: Brand) -> dict[str, list[tuple[str, list[str]]]]:
    calendars = policy_for(brand)[0]
    out: dict[str, list[tuple[str, list[str]]]] = {}
    for segment in SEGMENTS:
        calendar = calendars.get(segment)
        if calendar is None:
            continue
        week = calendar.week
        out[segment] = [(DAY_NAMES[d], [str(b) for b in week.get(d, [])]) for d in range(7)]
    return out


def compute(slug: str, now: datetime | None = None) -> PublicStatus | None:
    """The public status of a brand, read from the rollups; None if not published."""
    COMPUTED[0] += 1
    brand = db.session.scalar(select(Brand).filter_by(slug=slug))
    if brand is None:
        return None
    settings = db.session.get(BrandReportSettings, brand.id)
    if settings is None or not settings.public_page:
        return None
    now = now or utcnow()
    minimum = settings.public_min_threads
    month = _window(brand, 30, minimum, now)
    week = _window(brand, 7, minimum, now)
    recent = [float(s or 0) for s in db.session.scalars(
        select(ThreadFact.frt_seconds).where(
            ThreadFact.brand_id == brand.id, ThreadFact.first_reply_at >= now - timedelta(hours=2),
            ThreadFact.first_reply_at <= now, ThreadFact.answered.is_(True),
            ThreadFact.frt_seconds.is_not(None)))]
    responsive = (week.shown and week.answered_share is not None and week.frt_median is not None
                  and week.answered_share >= RESPONSIVE_SHARE
                  and week.frt_median <= RESPONSIVE_MEDIAN)
    return PublicStatus(
        brand_name=brand.name, slug=brand.slug, min_threads=minimum, month=month, week=week,
        very_responsive=responsive,
        now_median=(metrics.exact_percentile(recent, 0.5)
                    if len(recent) >= NOW_MIN_REPLIES else None),
        now_replies=len(recent), hours=_hours(brand), computed_at=now)


def status(slug: str) -> PublicStatus | None:
    """The cached public status (computed at most once a minute per process)."""
    if len(slug) > 60:
        return None
    hit, value = CACHE.get(slug)
    if hit:
        return value
    value = compute(slug)
    db.session.rollback()  # read-only: end the transaction, nothing to keep
    CACHE.put(slug, value)
    return value


def as_json(value: PublicStatus) -> dict[str, Any]:
    """The JSON form (numbers only; the definitions come from the view)."""
    def window(w: Window) -> dict[str, Any]:
        return {"days": w.days, "threads": w.threads, "shown": w.shown,
                "answered_share": round(w.answered_share, 4)
                if w.answered_share is not None else None,
                "median_first_response_seconds": round(w.frt_median)
                if w.frt_median is not None else None}

    return {
        "brand": value.brand_name, "slug": value.slug,
        "last_30_days": window(value.month), "last_7_days": window(value.week),
        "very_responsive": value.very_responsive,
        "right_now": {"expected_wait_seconds": round(value.now_median)
                      if value.now_median is not None else None,
                      "replies_last_two_hours": value.now_replies},
        "business_hours": {seg: {day: blocks for day, blocks in days}
                           for seg, days in value.hours.items()},
        "minimum_threads": value.min_threads,
        "computed_at": value.computed_at.isoformat(),
    }
