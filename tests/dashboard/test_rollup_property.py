"""Property: on random histories, the rollups give the figures of a direct computation.

Each history is written in several batches with the upkeep job run between them (as in
production), then every figure of random ranges and channels read from the rollups is
compared with the same figure computed straight from the raw rows: counts and shares equal,
percentiles within one bucket of the exact nearest-rank value. Runs on SQLite and, with
DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.audit import record
from app.dashboard import metrics, queries, upkeep
from app.extensions import db
from app.models import Brand, Channel, Message, Survey, Thread
from app.sla.policy import policy_for
from tests.dashboard.conftest import Reply, Spec, build

START = datetime(2026, 10, 1, 0, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 12, 12, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Paris")


def _random_spec(rng: random.Random) -> Spec:
    opened = START + timedelta(minutes=rng.randint(0, 40 * 1440))
    replies: list[Reply] = []
    roll = rng.random()
    delay = timedelta(minutes=rng.choice([1, 3, 7, 25, 70, 400, 2000, 9000]) * rng.random())
    if roll < 0.6:
        replies.append(Reply(opened + delay))
    elif roll < 0.75:
        replies += [Reply(opened + delay, visibility="private", kind="dm"),
                    Reply(opened + delay, ack=True)]
        if rng.random() < 0.5:
            replies.append(Reply(opened + delay + timedelta(hours=5)))
    elif roll < 0.8:
        replies.append(Reply(opened + delay, sent=False))
    status, reason, resolved = "waiting", None, None
    state = rng.random()
    if state < 0.08:
        status, reason = "closed", rng.choice(["spam", "abusive"])
    elif state < 0.6 and replies:
        status, resolved = "resolved", opened + delay + timedelta(hours=rng.randint(1, 50))
    first_due = opened + timedelta(hours=rng.choice([1, 4, 24])) if rng.random() < 0.8 else None
    return Spec(
        opened=opened, replies=replies,
        inbound=[(opened + timedelta(minutes=rng.randint(1, 3000)),
                  rng.choice([None, -0.6, -0.05, 0.2, 0.7]))
                 for _ in range(rng.randint(0, 2))],
        polarity=rng.choice([None, -0.8, -0.2, 0.0, 0.4]),
        segment=rng.choice(["private", "professional"]), status=status, close_reason=reason,
        category=rng.choice([*metrics.CATEGORIES, None]),
        urgency=rng.sample(metrics.URGENCY_FLAGS, rng.randint(0, 2)),
        first_due=first_due, resolution_due=opened + timedelta(days=rng.randint(1, 4)),
        resolved_at=resolved, public=rng.random() < 0.95)


def _direct(brand: Brand, rng_days: metrics.DateRange, channel: Channel | None
            ) -> metrics.Figures:
    """The figures computed from the raw rows only (no fact or rollup table read)."""
    calendars = policy_for(brand)[0]
    facts: list[metrics.Fact] = []
    polarities: list[float | None] = []
    surveys: list[metrics.SurveyIn] = []
    for thread in db.session.scalars(db.select(Thread)):
        if channel is not None and thread.channel_id != channel.id:
            continue
        messages = [metrics.MessageIn(
            direction=m.direction, visibility=m.visibility,
            at=(m.sent_at or m.platform_created_at) if m.direction == "out"
            else m.platform_created_at, kind=m.kind,
            sent=m.send_state == "sent" if m.direction == "out" else True,
            is_ack=m.is_acknowledgement, polarity=m.polarity) for m in thread.messages]
        for m in thread.messages:
            if m.direction == "in" and m.visibility == "public" and \
                    rng_days.start <= metrics.local_day(m.platform_created_at, ZONE) \
                    <= rng_days.end:
                polarities.append(m.polarity)
        fact = metrics.thread_fact(
            metrics.ThreadIn(thread.id, brand.id, thread.channel_id, thread.author.segment,
                             thread.status, thread.close_reason, thread.category,
                             tuple(thread.urgency), thread.first_response_due,
                             thread.resolution_due, thread.resolved_at),
            messages, calendars[thread.author.segment], ZONE, NOW)
        if fact is not None and rng_days.start <= fact.day <= rng_days.end:
            facts.append(fact)
    for survey in db.session.scalars(db.select(Survey)):
        if (channel is None or survey.channel_id == channel.id) and survey.state == "sent" \
                and rng_days.start <= survey.day <= rng_days.end:
            surveys.append(metrics.SurveyIn(True, survey.answered_at is not None, {
                "speed": survey.speed or 0, "listening": survey.listening or 0,
                "resolution": survey.resolution or 0}))
    return metrics.direct_figures(facts, polarities, surveys)


def _same(rolled: metrics.Figures, direct: metrics.Figures) -> None:
    for name in ("mentions", "threads", "excluded", "answered", "answered_share", "frt_count",
                 "frtb_count", "moved", "moved_share", "loop_closed", "loop_closed_share",
                 "sla_first_n", "sla_first_share", "sla_res_n", "sla_res_share", "polarity_n",
                 "negative", "negative_share", "categories", "urgency", "surveys_sent",
                 "surveys_answered", "response_rate", "questions"):
        assert getattr(rolled, name) == getattr(direct, name), name
    if direct.polarity_avg is None:
        assert rolled.polarity_avg is None
    else:
        assert rolled.polarity_avg == pytest.approx(direct.polarity_avg)
    for name in ("frt_median", "frt_p90", "frtb_median", "frtb_p90"):
        estimate, exact = getattr(rolled, name), getattr(direct, name)
        if exact is None:
            assert estimate is None, name
            continue
        assert estimate is not None, name
        # Within one bucket: the estimate lies in the bucket holding the exact value.
        assert metrics.bucket_of(estimate) == metrics.bucket_of(exact), (name, estimate, exact)


@pytest.mark.parametrize("seed", range(6))
def test_rollups_equal_direct_computation(seed: int,
                                          brand_channels: tuple[Brand, Channel, Channel]
                                          ) -> None:
    brand, x, fb = brand_channels
    rng = random.Random(seed)
    specs = [_random_spec(rng) for _ in range(rng.randint(30, 60))]
    batches = [specs[i::3] for i in range(3)]
    clock = NOW - timedelta(minutes=10)
    for batch in batches:
        threads = [build(spec, rng.choice([x, fb])) for spec in batch]
        for thread in rng.sample(threads, len(threads) // 4):
            if thread.status == "resolved":
                db.session.add(Survey(
                    thread_id=thread.id, brand_id=brand.id, channel_id=thread.channel_id,
                    author_id=thread.author_id, state="sent",
                    day=date(2026, 11, rng.randint(1, 11)), expires_at=NOW,
                    answered_at=NOW if rng.random() < 0.5 else None,
                    speed=rng.randint(1, 5), listening=rng.randint(1, 5),
                    resolution=rng.randint(1, 5)))
        db.session.commit()
        upkeep.refresh(clock)
        clock += timedelta(minutes=1)
    # Later changes: a thread closed as spam, a late reply (each with its audit event).
    victim = db.session.scalars(db.select(Thread).order_by(Thread.id)).first()
    assert victim is not None
    victim.status, victim.close_reason = "closed", "spam"
    record(None, "status_changed", "thread", victim.id)
    late = db.session.scalars(db.select(Thread).order_by(Thread.id.desc())).first()
    assert late is not None
    db.session.add(Message(thread=late, channel_id=late.channel_id, direction="out",
                           kind="reply", visibility="public", text="late", platform_id="late",
                           platform_created_at=NOW - timedelta(hours=1),
                           received_at=NOW - timedelta(hours=1), send_state="sent",
                           sent_at=NOW - timedelta(hours=1)))
    db.session.commit()
    upkeep.refresh(NOW)
    ranges = [metrics.DateRange(date(2026, 10, 1), date(2026, 10, 31)),  # one whole month
              metrics.DateRange(date(2026, 9, 29), date(2026, 11, 2)),  # month and edges
              metrics.DateRange(date(2026, 8, 1), date(2026, 11, 12)),  # by week
              metrics.DateRange(date(2025, 11, 1), date(2026, 11, 12))]  # by month
    for _ in range(6):
        first = date(2026, 9, 28) + timedelta(days=rng.randint(0, 40))
        last = min(first + timedelta(days=rng.randint(0, 45)), date(2026, 11, 12))
        ranges.append(metrics.DateRange(first, last))
    for days in ranges:
        channel = rng.choice([None, x, fb])
        board = queries.load(brand, days, channel)
        direct = _direct(brand, days, channel)
        _same(board.figures, direct)
        # The series adds up to the total, whatever its cut (day, week, month).
        assert sum(f.threads for _d, f in board.series) == direct.threads
        assert sum(f.mentions for _d, f in board.series) == direct.mentions
