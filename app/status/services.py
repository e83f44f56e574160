"""The public page's figures, computed at most once a minute and served from memory.

Only aggregates leave this module: shares, medians, counts, opening hours. No thread content
and no personal data is ever read here (the "right now" median reads facts' response times).

Caching, in two levels so that traffic on the page never reaches the database per request:

* each process keeps the computed figures in memory until they are a minute old, and one
  thread per process computes them while the others wait for it (single flight: a burst of
  visitors at expiry is one computation, not one per thread);
* with ``REDIS_URL`` (several web processes), the figures are shared through Redis: the
  first process to miss takes a short ``SET NX`` lease, computes and stores them for a
  minute; the others read that copy. Across all processes the figures are then computed
  about once a minute per brand, whatever the number of processes. Redis unreachable is an
  accelerator lost: each process computes on its own, still at most once a minute.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
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
#: How long a process computing the shared figures holds its lease, and how long another
#: process waits for that copy before computing on its own.
LEASE_SECONDS = 10
WAIT_SECONDS = 2.0
REDIS_TIMEOUT_SECONDS = 0.5
#: After a Redis error, the shared level is skipped this long (each process on its own).
REDIS_RETRY_SECONDS = 5.0

log = logging.getLogger(__name__)


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
    """slug -> (expiry on the wall clock, status or None for "not published").

    The wall clock (not the monotonic one) because a copy read from Redis carries the
    expiry the computing process gave it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[str, tuple[float, PublicStatus | None]] = {}
        self.flights: dict[str, threading.Lock] = {}

    def get(self, slug: str) -> tuple[bool, PublicStatus | None]:
        with self.lock:
            entry = self.entries.get(slug)
        if entry is None or entry[0] <= time.time():
            return False, None
        return True, entry[1]

    def put(self, slug: str, value: PublicStatus | None,
            expires: float | None = None) -> None:
        with self.lock:
            if len(self.entries) > 1000:  # bounded: unknown slugs cannot grow it for ever
                self.entries.clear()
            self.entries[slug] = (expires or time.time() + CACHE_SECONDS, value)

    def flight(self, slug: str) -> threading.Lock:
        """The lock one thread holds while it computes a slug's figures."""
        with self.lock:
            if len(self.flights) > 1000:
                self.flights.clear()
            return self.flights.setdefault(slug, threading.Lock())

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


CACHE = _Cache()
#: How many times the figures were computed (the test of "traffic never reaches the database").
COMPUTED = [0]


class SharedCache:
    """The figures shared by every web process through Redis (JSON, expiring)."""

    def __init__(self, url: str, namespace: str) -> None:
        import redis

        self.client: Any = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        self.prefix = f"care:status:{namespace}"
        self.down_until = 0.0

    def _key(self, slug: str) -> str:
        return f"{self.prefix}:v:{slug}"

    def _failed(self, exc: Exception) -> None:
        if self.down_until < time.monotonic():
            log.warning("status cache: Redis unreachable (%s), each process computes on its "
                        "own for now", type(exc).__name__)
        self.down_until = time.monotonic() + REDIS_RETRY_SECONDS

    def available(self) -> bool:
        """False for a few seconds after a Redis error."""
        return self.down_until < time.monotonic()

    def read(self, slug: str) -> tuple[bool, PublicStatus | None, float]:
        """(found, status, expiry) of the shared copy."""
        import redis

        try:
            raw = self.client.get(self._key(slug))
        except redis.RedisError as exc:
            self._failed(exc)
            return False, None, 0.0
        if raw is None:
            return False, None, 0.0
        try:
            data = json.loads(raw)
            value, expires = _decode(data["status"]), float(data["expires"])
        except (ValueError, KeyError, TypeError):  # written by another version: recompute
            return False, None, 0.0
        if expires <= time.time():  # Redis's own expiry lags by a few milliseconds
            return False, None, 0.0
        return True, value, expires

    def lease(self, slug: str) -> bool:
        """Whether this process may compute now (no other process is computing)."""
        import redis

        try:
            return bool(self.client.set(f"{self.prefix}:lease:{slug}", "1", nx=True,
                                        ex=LEASE_SECONDS))
        except redis.RedisError as exc:
            self._failed(exc)
            return True

    def write(self, slug: str, value: PublicStatus | None, expires: float) -> None:
        """Store the computed copy until ``expires`` and give the lease back."""
        import redis

        try:
            pipe = self.client.pipeline()
            pipe.set(self._key(slug), json.dumps({"expires": expires,
                                                  "status": _encode(value)}),
                     px=max(1, int((expires - time.time()) * 1000)))
            pipe.delete(f"{self.prefix}:lease:{slug}")
            pipe.execute()
        except redis.RedisError as exc:
            self._failed(exc)

    def clear(self) -> None:
        """Forget every shared copy of this database's pages (tests, a settings change)."""
        import redis

        try:
            keys = list(self.client.scan_iter(match=f"{self.prefix}:*", count=500))
            if keys:
                self.client.delete(*keys)
        except redis.RedisError as exc:
            self._failed(exc)


def _encode(value: PublicStatus | None) -> dict[str, Any] | None:
    if value is None:
        return None
    data = asdict(value)
    data["computed_at"] = value.computed_at.isoformat()
    return data


def _decode(data: dict[str, Any] | None) -> PublicStatus | None:
    if data is None:
        return None
    return PublicStatus(
        brand_name=data["brand_name"], slug=data["slug"], min_threads=data["min_threads"],
        month=Window(**data["month"]), week=Window(**data["week"]),
        very_responsive=data["very_responsive"], now_median=data["now_median"],
        now_replies=data["now_replies"],
        hours={seg: [(day, list(blocks)) for day, blocks in days]
               for seg, days in data["hours"].items()},
        computed_at=datetime.fromisoformat(data["computed_at"]))


def shared_cache() -> SharedCache | None:
    """This app's shared cache, when ``REDIS_URL`` is set (created on first use)."""
    url = current_app.config.get("REDIS_URL") or ""
    if not url:
        return None
    ext: dict[str, Any] = current_app.extensions
    found = ext.get("care_status_cache")
    if not isinstance(found, SharedCache):
        # Keys are per database: two consoles sharing one Redis never read each other's.
        database = str(current_app.config.get("SQLALCHEMY_DATABASE_URI", ""))
        found = SharedCache(url, hashlib.sha256(database.encode()).hexdigest()[:12])
        ext["care_status_cache"] = found
    return found


def clear_cache() -> None:
    """Forget the computed figures, in this process and (with Redis) everywhere."""
    CACHE.clear()
    shared = shared_cache()
    if shared is not None:
        shared.clear()


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
    """The cached public status: computed at most once a minute per process, and about once a
    minute across processes when they share Redis."""
    if len(slug) > 60:
        return None
    hit, value = CACHE.get(slug)
    if hit:
        return value
    with CACHE.flight(slug):  # one thread computes, the others wait for its result
        hit, value = CACHE.get(slug)
        if hit:
            return value
        shared = shared_cache()
        if shared is not None and shared.available():
            deadline = time.monotonic() + WAIT_SECONDS
            while True:
                found, value, expires = shared.read(slug)
                if found:
                    CACHE.put(slug, value, expires)
                    return value
                if not shared.available() or shared.lease(slug):
                    break
                if time.monotonic() > deadline:  # the other process is stuck: compute here
                    break
                time.sleep(0.05)
        value = compute(slug)
        db.session.rollback()  # read-only: end the transaction, nothing to keep
        expires = time.time() + CACHE_SECONDS
        CACHE.put(slug, value, expires)
        if shared is not None and shared.available():
            shared.write(slug, value, expires)
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
