"""Adaptive polling: how soon a channel may be polled again, and why.

Each poll's answer carries the platform's rate figures (``connectors.base.RateInfo``); they
are kept per budget in ``rate_budgets`` (the database: every process sees the same), where
channels of one platform app share one budget:

* X: ``x-rate-limit-remaining`` calls until ``x-rate-limit-reset``, per endpoint (mentions,
  direct messages). The next poll comes when the calls left, shared by the channels drawing
  on the budget and less a reserve for replies and backfills, spread over the time to the
  reset allow; with nothing left, at the reset (never into a 429).
* Graph: the highest of ``call_count``, ``total_time``, ``total_cputime`` in ``x-app-usage``
  and ``x-business-use-case-usage`` (percentages of an hourly allowance whose size Meta does
  not give). Under half of it the floor; each further ten points doubles the interval; with
  ``estimated_time_to_regain_access`` set, not before it.

Never more often than ``POLL_FLOOR_SECONDS``. While webhooks or the X stream deliver, the
public side is only a safety net (``WEBHOOK_SAFETY_POLL_SECONDS``).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import Channel, ChannelStatus, RateBudget
from connectors.base import RateInfo

#: Share of an X budget kept for what polling does not plan: replies, read-backs, backfills.
X_RESERVE_SHARE = 0.1
#: Below this Graph usage (percent) a channel is polled at the floor.
GRAPH_EASY_PERCENT = 50.0
#: Above it, each further GRAPH_STEP_PERCENT points doubles the interval.
GRAPH_STEP_PERCENT = 10.0
#: The longest pace computed from a budget (the platform's window, 15 minutes on X).
MAX_PACE_SECONDS = 3600


@dataclass(frozen=True)
class Pace:
    """Seconds until the next poll and the reason (a code the channel page translates)."""

    seconds: int
    # interval | budget | floor | usage | exhausted | rate_limited | backoff | webhooks
    reason: str


def floor_seconds() -> int:
    """The shortest interval between two polls of a channel (``POLL_FLOOR_SECONDS``)."""
    return max(1, int(current_app.config.get("POLL_FLOOR_SECONDS") or 5))


def budget_key(channel: Channel, credentials: dict[str, str]) -> str:
    """The budget a channel draws on. Every Facebook page of an installation answers to its
    one Meta app (one ``FACEBOOK_APP_SECRET``); X channels of one OAuth 1.0a app (consumer
    key) share the app's budget, a channel with a user bearer token has its own."""
    if channel.network == "facebook":
        base = channel.api_base_url or str(current_app.config.get("GRAPH_API_BASE_URL"))
        return f"facebook:app:{_digest(base)}"
    if credentials.get("consumer_key"):
        return f"x:app:{_digest(credentials['consumer_key'])}"
    return f"x:account:{channel.account_id}"[:100]


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def record(key: str, kind: str, rate: RateInfo | None, now: datetime) -> None:
    """Keep the newest figures of ``key``'s budget for ``kind`` (flushed, not committed);
    an upsert, so two processes recording at once do not collide."""
    if rate is None:
        return
    values = {"key": f"{key}:{kind}", "remaining": rate.remaining, "limit": rate.limit,
              "reset_at": rate.reset_at, "usage_percent": rate.usage_percent,
              "regain_at": rate.regain_at, "updated_at": now}
    if db.engine.dialect.name == "postgresql":
        pg = postgresql.insert(RateBudget).values(**values)
        db.session.execute(pg.on_conflict_do_update(
            index_elements=["key"], set_={k: pg.excluded[k] for k in values if k != "key"}))
    else:
        lite = sqlite.insert(RateBudget).values(**values)
        db.session.execute(lite.on_conflict_do_update(
            index_elements=["key"], set_={k: lite.excluded[k] for k in values if k != "key"}))


def budgets(key: str) -> list[RateBudget]:
    """Every endpoint budget recorded under ``key``."""
    return list(db.session.scalars(select(RateBudget).where(
        RateBudget.key.like(f"{key}:%"))))


def sharing(key: str) -> int:
    """How many enabled channels draw on ``key``'s budget (at least one)."""
    count = db.session.scalar(select(func.count(Channel.id)).where(
        Channel.rate_budget_key == key, Channel.enabled.is_(True))) or 0
    return max(1, int(count))


def x_pace(rows: list[RateBudget], shared_by: int, now: datetime, floor: int) -> Pace | None:
    """The pace X's counted budgets allow (None: no figures, or every window is over)."""
    worst: Pace | None = None
    for row in rows:
        if row.remaining is None or row.limit is None or row.reset_at is None \
                or row.reset_at <= now:
            continue  # a window that is over starts full again
        left = (row.reset_at - now).total_seconds()
        usable = row.remaining - math.ceil(row.limit * X_RESERVE_SHARE)
        if usable <= 0:
            pace = Pace(max(floor, math.ceil(left)), "exhausted")
        else:
            seconds = math.ceil(left * shared_by / usable)
            pace = Pace(floor, "floor") if seconds <= floor \
                else Pace(min(MAX_PACE_SECONDS, seconds), "budget")
        if worst is None or pace.seconds > worst.seconds:
            worst = pace
    return worst


def graph_pace(rows: list[RateBudget], now: datetime, floor: int) -> Pace | None:
    """The pace Graph's usage percentages allow (None: no figures)."""
    worst: Pace | None = None
    for row in rows:
        if row.regain_at is not None and row.regain_at > now:
            pace = Pace(max(floor, math.ceil((row.regain_at - now).total_seconds())),
                        "exhausted")
        elif row.usage_percent is None:
            continue
        elif row.usage_percent < GRAPH_EASY_PERCENT:
            pace = Pace(floor, "floor")
        else:
            steps = (min(row.usage_percent, 100.0) - GRAPH_EASY_PERCENT) / GRAPH_STEP_PERCENT
            pace = Pace(min(MAX_PACE_SECONDS, math.ceil(floor * 2.0 ** steps)), "usage")
        if worst is None or pace.seconds > worst.seconds:
            worst = pace
    return worst


def compute(channel: Channel, now: datetime) -> Pace:
    """The pace of ``channel`` from the budgets recorded so far (the channel's own interval
    when the platform gave no figures)."""
    floor = floor_seconds()
    if channel.rate_limited_until is not None and channel.rate_limited_until > now:
        wait = math.ceil((channel.rate_limited_until - now).total_seconds())
        limited = channel.status == ChannelStatus.RATE_LIMITED.value
        return Pace(max(floor, wait), "rate_limited" if limited else "backoff")
    key = channel.rate_budget_key
    rows = budgets(key) if key else []
    pace = x_pace(rows, sharing(key), now, floor) if channel.network == "x" and key \
        else graph_pace(rows, now, floor)
    if pace is None:
        return Pace(max(floor, channel.poll_interval or 60), "interval")
    return pace


def due(channel: Channel, now: datetime) -> bool:
    """Whether the channel's pace allows a poll now."""
    if channel.last_poll_at is None or channel.poll_pace_seconds is None:
        return True
    return now >= channel.last_poll_at + timedelta(seconds=channel.poll_pace_seconds)
