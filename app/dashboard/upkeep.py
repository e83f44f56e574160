"""Rollup upkeep: a job every minute, decoupled from ingest and the outbox.

Why a job and not the writer's transaction: ingest and the outbox are written (and rewritten)
by others and run hot; a job that reads what changed since a stored watermark costs them
nothing but one index entry per message, and is the same code as the rebuild command. The
dashboard is at most a minute behind, which the page says.

What the job reads as "changed since the watermark":

* messages with an id above the stored high mark (new mentions, new replies), plus those of
  the last ``LOOKBACK_IDS`` ids received in the last ``MARGIN`` (a transaction that took an id
  before the mark but committed after it is seen on the next run);
* audit events on threads, the same way (status changes, resolutions, replies sent or
  reconciled, moves to private: every use case records one);
* threads whose running SLA due time passed since the last run (a missed SLA is a change
  with no writer);
* surveys created or answered since the last run.

For each thread found, its fact is recomputed from its raw rows (keeping the business-hours
first response time frozen once seen); then every (brand, channel, local day) the thread or
its new messages touch is rewritten from the facts, messages and surveys of that day. The
use case commits once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, and_, delete, func, insert, literal, or_, select, tuple_

from app.dashboard import metrics
from app.extensions import db
from app.models import (
    OPEN_STATUSES,
    AuditEvent,
    Author,
    Brand,
    Channel,
    DashboardWatermark,
    DayRollup,
    Message,
    MonthRollup,
    Survey,
    SurveyState,
    Thread,
    ThreadFact,
    utcnow,
)
from app.models.types import UTCDateTime
from app.sla.calendar import BusinessCalendar
from app.sla.policy import policy_for

log = logging.getLogger("care.dashboard")

JOB_NAME = "dashboard.rollup"
LOOKBACK_IDS = 2000
MARGIN = timedelta(minutes=2)
CHUNK = 500

Key = tuple[int, int, date]  # brand, channel, local day
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class UpkeepReport:
    """What one run did."""

    threads: int
    rows: int
    today_changed: frozenset[int]  # brands whose today's row changed


class _Brands:
    """Brand zones and calendars, read once per run."""

    def __init__(self) -> None:
        self.zone: dict[int, ZoneInfo] = {}
        self.calendars: dict[int, dict[str, BusinessCalendar]] = {}
        self.channel_brand: dict[int, int] = {}
        for brand in db.session.scalars(select(Brand)):
            self.zone[brand.id] = ZoneInfo(brand.timezone or "UTC")
            self.calendars[brand.id] = policy_for(brand)[0]
        for channel_id, brand_id in db.session.execute(select(Channel.id, Channel.brand_id)):
            self.channel_brand[channel_id] = brand_id

    def calendar(self, brand_id: int, segment: str) -> BusinessCalendar:
        calendars = self.calendars[brand_id]
        return calendars.get(segment) or next(iter(calendars.values()))


def _watermark() -> DashboardWatermark:
    mark = db.session.get(DashboardWatermark, JOB_NAME)
    if mark is None:
        mark = DashboardWatermark(name=JOB_NAME, message_id=0, audit_id=0, survey_id=0)
        db.session.add(mark)
        db.session.flush()
    return mark


def _max_id(column: Any) -> int:
    return int(db.session.scalar(select(func.max(column))) or 0)


def refresh(now: datetime | None = None) -> UpkeepReport:
    """The job: bring the rollups up to date with what changed since the last run."""
    now = now or utcnow()
    mark = _watermark()
    since = mark.run_at - MARGIN if mark.run_at is not None else EPOCH
    top_message, top_audit, top_survey = (_max_id(Message.id), _max_id(AuditEvent.id),
                                          _max_id(Survey.id))
    brands = _Brands()
    thread_ids: set[int] = set()
    keys: set[Key] = set()

    msg_rows = db.session.execute(
        select(Message.thread_id, Message.channel_id, Message.platform_created_at,
               Message.direction)
        .where(Message.id > max(0, mark.message_id - LOOKBACK_IDS),
               Message.id <= top_message,
               or_(Message.id > mark.message_id, Message.received_at >= since)))
    for thread_id, channel_id, at, direction in msg_rows:
        thread_ids.add(thread_id)
        brand_id = brands.channel_brand.get(channel_id)
        if direction == "in" and brand_id is not None:
            keys.add((brand_id, channel_id, metrics.local_day(at, brands.zone[brand_id])))
    thread_ids.update(i for i in db.session.scalars(
        select(AuditEvent.object_id)
        .where(AuditEvent.object_type == "thread", AuditEvent.object_id.is_not(None),
               AuditEvent.id > max(0, mark.audit_id - LOOKBACK_IDS),
               AuditEvent.id <= top_audit,
               or_(AuditEvent.id > mark.audit_id, AuditEvent.at >= since))) if i is not None)
    if mark.run_at is not None:
        thread_ids.update(db.session.scalars(
            select(Thread.id).where(Thread.status.in_(OPEN_STATUSES),
                                    Thread.sla_due > since, Thread.sla_due <= now)).all())
    for brand_id, channel_id, day in db.session.execute(
            select(Survey.brand_id, Survey.channel_id, Survey.day)
            .where(or_(and_(Survey.id > mark.survey_id, Survey.id <= top_survey),
                       Survey.answered_at >= since))):
        keys.add((brand_id, channel_id, day))

    keys |= refresh_facts(sorted(thread_ids), now, brands)
    rows = rewrite_rollups(keys, brands)
    mark.message_id, mark.audit_id, mark.survey_id = top_message, top_audit, top_survey
    mark.run_at = now
    today = {b for b, _c, d in keys if d == metrics.local_day(now, brands.zone[b])}
    if today:
        from app.realtime.publish import publish

        for brand_id in sorted(today):
            publish("dashboard.updated", {"brand_id": brand_id}, DASHBOARD_ROOM)
    db.session.commit()
    return UpkeepReport(len(thread_ids), rows, frozenset(today))


#: The Socket.IO room of the dashboard pages (brand, supervisor, admin).
DASHBOARD_ROOM = "dashboard"


def _thread_inputs(ids: Sequence[int]) -> list[tuple[metrics.ThreadIn, str]]:
    rows = db.session.execute(
        select(Thread.id, Channel.brand_id, Thread.channel_id, Author.segment, Thread.status,
               Thread.close_reason, Thread.category, Thread.urgency,
               Thread.first_response_due, Thread.resolution_due, Thread.resolved_at)
        .join(Channel, Channel.id == Thread.channel_id)
        .join(Author, Author.id == Thread.author_id)
        .where(Thread.id.in_(ids)))
    out = []
    for r in rows:
        out.append((metrics.ThreadIn(
            id=r[0], brand_id=r[1], channel_id=r[2], segment=r[3], status=r[4],
            close_reason=r[5], category=r[6], urgency=tuple(r[7] or ()),
            first_response_due=r[8], resolution_due=r[9], resolved_at=r[10]), r[3]))
    return out


def _message_inputs(ids: Sequence[int]) -> dict[int, list[metrics.MessageIn]]:
    by_thread: dict[int, list[metrics.MessageIn]] = defaultdict(list)
    rows = db.session.execute(
        select(Message.thread_id, Message.direction, Message.visibility,
               Message.platform_created_at, Message.sent_at, Message.kind,
               Message.send_state, Message.is_acknowledgement, Message.polarity)
        .where(Message.thread_id.in_(ids)))
    for thread_id, direction, visibility, created, sent_at, kind, state, ack, pol in rows:
        outbound = direction == "out"
        by_thread[thread_id].append(metrics.MessageIn(
            direction=direction, visibility=visibility,
            at=(sent_at or created) if outbound else created, kind=kind,
            sent=(state == "sent") if outbound else True, is_ack=bool(ack), polarity=pol))
    return by_thread


def _stored_fact(row: ThreadFact) -> metrics.Fact:
    return metrics.Fact(
        thread_id=row.thread_id, brand_id=row.brand_id, channel_id=row.channel_id,
        day=row.day, opened_at=row.opened_at, public=row.public, excluded=row.excluded,
        answered=row.answered, first_reply_at=row.first_reply_at,
        frt_seconds=row.frt_seconds, frt_business_seconds=row.frt_business_seconds,
        moved=row.moved, loop_closed=row.loop_closed, sla_first=row.sla_first,
        sla_res=row.sla_res, category=row.category, urgency=tuple(row.urgency or ()))


def _fact_values(fact: metrics.Fact, now: datetime) -> dict[str, Any]:
    return {"thread_id": fact.thread_id, "brand_id": fact.brand_id,
            "channel_id": fact.channel_id, "day": fact.day, "opened_at": fact.opened_at,
            "public": fact.public, "excluded": fact.excluded, "answered": fact.answered,
            "first_reply_at": fact.first_reply_at, "frt_seconds": fact.frt_seconds,
            "frt_business_seconds": fact.frt_business_seconds, "moved": fact.moved,
            "loop_closed": fact.loop_closed, "sla_first": fact.sla_first,
            "sla_res": fact.sla_res, "category": fact.category,
            "urgency": list(fact.urgency), "computed_at": now}


def refresh_facts(thread_ids: Sequence[int], now: datetime,
                  brands: _Brands | None = None) -> set[Key]:
    """Recompute the facts of these threads (flush); returns the rollup keys they touch."""
    brands = brands or _Brands()
    keys: set[Key] = set()
    for start in range(0, len(thread_ids), CHUNK):
        ids = list(thread_ids[start:start + CHUNK])
        previous = {f.thread_id: f for f in db.session.scalars(
            select(ThreadFact).where(ThreadFact.thread_id.in_(ids)))}
        messages = _message_inputs(ids)
        values = []
        for thread, segment in _thread_inputs(ids):
            old = previous.get(thread.id)
            old_fact = _stored_fact(old) if old is not None else None
            if old_fact is not None:
                keys.add((old_fact.brand_id, old_fact.channel_id, old_fact.day))
            fact = metrics.thread_fact(
                thread, messages.get(thread.id, []), brands.calendar(thread.brand_id, segment),
                brands.zone[thread.brand_id], now, old_fact)
            if fact is None:
                continue
            keys.add((fact.brand_id, fact.channel_id, fact.day))
            values.append(_fact_values(fact, now))
        for old in previous.values():
            db.session.expunge(old)
        db.session.execute(delete(ThreadFact).where(ThreadFact.thread_id.in_(ids)))
        if values:
            db.session.execute(insert(ThreadFact), values)
    return keys


def _day_rows(brands: _Brands, keys: Sequence[Key]) -> dict[Key, dict[str, float]]:
    """The summed columns of these (brand, channel, day) rows, read per (brand, day) for all
    its channels at once: three queries a day rather than three per row."""
    channels_of: dict[tuple[int, date], list[int]] = defaultdict(list)
    for brand_id, channel_id, day in keys:
        channels_of[(brand_id, day)].append(channel_id)
    out: dict[Key, dict[str, float]] = {}
    for (brand_id, day), channel_ids in channels_of.items():
        start, end = metrics.day_bounds(day, brands.zone[brand_id])
        facts: dict[int, list[metrics.Fact]] = defaultdict(list)
        for stored in db.session.scalars(select(ThreadFact).where(
                ThreadFact.channel_id.in_(channel_ids), ThreadFact.day == day)):
            facts[stored.channel_id].append(_stored_fact(stored))
        polarities: dict[int, list[float | None]] = defaultdict(list)
        for channel_id, polarity in db.session.execute(
                select(Message.channel_id, Message.polarity).where(
                    Message.channel_id.in_(channel_ids), Message.platform_created_at >= start,
                    Message.platform_created_at < end, Message.direction == "in",
                    Message.visibility == "public")):
            polarities[channel_id].append(polarity)
        surveys: dict[int, list[metrics.SurveyIn]] = defaultdict(list)
        for s in db.session.scalars(select(Survey).where(
                Survey.channel_id.in_(channel_ids), Survey.day == day,
                Survey.state == SurveyState.SENT.value)):
            surveys[s.channel_id].append(metrics.SurveyIn(
                sent=True, answered=s.answered_at is not None,
                scores={"speed": s.speed or 0, "listening": s.listening or 0,
                        "resolution": s.resolution or 0}))
        for channel_id in channel_ids:
            out[(brand_id, channel_id, day)] = metrics.rollup_values(
                facts[channel_id], polarities[channel_id], surveys[channel_id])
    return out


#: Keys per DELETE statement (bound parameters stay well under every driver's limit).
_DELETE_CHUNK = 300


def rewrite_months(months: Iterable[Key]) -> None:
    """Rewrite these (brand, channel, first day of month) rows as sums of their day rows."""
    day_table = DayRollup.__table__
    now = utcnow()
    months = sorted(set(months))
    for i in range(0, len(months), _DELETE_CHUNK):
        db.session.execute(delete(MonthRollup).where(
            tuple_(MonthRollup.brand_id, MonthRollup.channel_id, MonthRollup.month)
            .in_(months[i:i + _DELETE_CHUNK])))
    for brand_id, channel_id, first in months:
        last = metrics.month_end(first)
        sums = select(
            literal(brand_id), literal(channel_id), literal(first, Date),
            literal(now, UTCDateTime()),
            *[func.sum(day_table.c[name]) for name in metrics.SUM_COLUMNS],
        ).where(DayRollup.brand_id == brand_id, DayRollup.channel_id == channel_id,
                DayRollup.day >= first, DayRollup.day <= last
                ).having(func.count() > 0)
        db.session.execute(insert(MonthRollup).from_select(
            ["brand_id", "channel_id", "month", "updated_at", *metrics.SUM_COLUMNS], sums))


def rewrite_rollups(keys: Iterable[Key], brands: _Brands | None = None) -> int:
    """Rewrite these day rows (and their month rows) from the facts, messages and surveys
    (flush); returns the day rows written."""
    brands = brands or _Brands()
    now = utcnow()
    keys = sorted(k for k in set(keys) if k[0] in brands.zone)
    rows = []
    for key, row in sorted(_day_rows(brands, keys).items()):
        brand_id, channel_id, day = key
        if any(row.values()):
            rows.append({"brand_id": brand_id, "channel_id": channel_id, "day": day,
                         "updated_at": now, **row})
    # One DELETE per few hundred rows and one batched INSERT, not two statements per row:
    # each round trip to the database is a wait, and a busy job run rewrites dozens of rows.
    for i in range(0, len(keys), _DELETE_CHUNK):
        db.session.execute(delete(DayRollup).where(
            tuple_(DayRollup.brand_id, DayRollup.channel_id, DayRollup.day)
            .in_(keys[i:i + _DELETE_CHUNK])))
    if rows:
        db.session.execute(insert(DayRollup), rows)
    rewrite_months((b, c, d.replace(day=1)) for b, c, d in keys)
    return len(rows)


def rebuild(brand_id: int | None = None, now: datetime | None = None) -> int:
    """Rebuild facts and rollups from the raw tables (one brand or all); commits once.

    Stored business-hours first response times are kept where the first reply is unchanged
    (history is not rewritten by a later change of business hours).
    """
    rows = rebuild_rows(brand_id, now)
    db.session.commit()
    return rows


def rebuild_rows(brand_id: int | None = None, now: datetime | None = None) -> int:
    """``rebuild`` without the commit (the demo seeding commits with its own rows)."""
    now = now or utcnow()
    brands = _Brands()
    stmt = select(Thread.id).join(Channel, Channel.id == Thread.channel_id).order_by(Thread.id)
    if brand_id is not None:
        stmt = stmt.where(Channel.brand_id == brand_id)
    ids = list(db.session.scalars(stmt))
    keys = refresh_facts(ids, now, brands)
    old = select(DayRollup.brand_id, DayRollup.channel_id, DayRollup.day)
    if brand_id is not None:
        old = old.where(DayRollup.brand_id == brand_id)
    keys |= {(b, c, d) for b, c, d in db.session.execute(old)}
    # Days with messages but no thread opened (a late reply on an old thread).
    for thread_brand, channel_id, at in db.session.execute(
            select(Channel.brand_id, Message.channel_id, Message.platform_created_at)
            .join(Channel, Channel.id == Message.channel_id)
            .where(Message.direction == "in",
                   *([Channel.brand_id == brand_id] if brand_id is not None else []))):
        keys.add((thread_brand, channel_id,
                  metrics.local_day(at, brands.zone[thread_brand])))
    survey_keys = select(Survey.brand_id, Survey.channel_id, Survey.day)
    if brand_id is not None:
        survey_keys = survey_keys.where(Survey.brand_id == brand_id)
    keys |= {(b, c, d) for b, c, d in db.session.execute(survey_keys)}
    rows = rewrite_rollups(keys, brands)
    if brand_id is None:  # everything is now up to date: the job starts from here
        mark = _watermark()
        mark.message_id, mark.audit_id, mark.survey_id = (_max_id(Message.id),
                                                          _max_id(AuditEvent.id),
                                                          _max_id(Survey.id))
        mark.run_at = now
    return rows
