"""The dashboard's metrics, defined once: pure functions, no Flask, no database.

Three layers, each a plain function of plain data:

1. ``thread_fact``: what one thread contributes (opened when, answered, first response time
   in wall-clock and business seconds, moved to private, public loop closed, SLA met...),
   computed from the thread's raw rows. The business-hours figure and the SLA verdict of the
   first response are frozen once seen (``previous``): a later change of business hours
   does not rewrite history.
2. ``rollup_values``: one rollup row (brand, channel, local day) from the facts of the
   threads opened that day, the public inbound messages of that day and the surveys sent that
   day. Every column is a sum, so any range and any set of channels is the column-wise sum
   of rows; response times are kept as fixed-bucket histograms (``BUCKET_EDGES``) so that
   percentiles over any range are read from summed histograms, never from a scan.
3. ``figures``: the figures shown, from summed rollup columns. ``direct_figures`` computes
   the same figures straight from facts and messages, with exact percentiles: the property
   test proves both agree (percentiles within one bucket).

Definitions (shown on the page and in the README):

* inbound public mentions: public inbound messages whose platform time falls in the period;
* threads opened: threads whose first inbound message is public and falls in the period;
* answered in public: of the period's public threads not closed as abusive or spam, the share
  with at least one agent message sent in public (a reply, or the acknowledgement of a move
  to private); survey invitations never count as replies;
* first response time: from the first inbound message's platform time to the first agent
  message's platform time (sent), in wall-clock time and in the brand's business hours of
  the thread's segment; median and 90th percentile over answered threads, with their count;
* moved to private: share of answered threads with an acknowledgement of a move to private;
  public loop closed: of those, the share where an agent posted a public reply after the
  acknowledgement (came back to the public thread once the case was settled);
* within SLA: of the threads whose first-response due time has passed or that were
  answered, the share answered by that due time; same for resolution;
* inbound sentiment: average polarity of the public inbound messages and share of them
  below -0.1;
* categories and urgency flags: threads opened, by the thread's category and flags;
* satisfaction: surveys sent (by the day sent), answered, response rate, and per question
  the share of 4-5 answers and the 1-5 distribution.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.sla.calendar import BusinessCalendar, NoOpenHoursError

#: Fixed histogram bucket lower bounds, in seconds: bucket i is [EDGES[i], EDGES[i+1]),
#: the last one open-ended. Finer where people read (minutes), coarser past a day.
BUCKET_EDGES: tuple[int, ...] = (
    0, 60, 120, 180, 300, 450, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 10800,
    14400, 21600, 28800, 43200, 64800, 86400, 129600, 172800, 259200, 432000, 604800,
)
N_BUCKETS = len(BUCKET_EDGES)
CATEGORIES: tuple[str, ...] = ("account", "listing", "payment", "dispute", "delivery",
                               "technical", "fraud", "praise", "other")
URGENCY_FLAGS: tuple[str, ...] = ("hacked_account", "scam", "money_blocked", "public_threat",
                                  "abuse", "safety")
QUESTIONS: tuple[str, ...] = ("speed", "listening", "resolution")
#: Close reasons that take a thread out of the "answered" denominator.
EXCLUDED_REASONS: frozenset[str] = frozenset({"abusive", "spam"})
#: Below this polarity an inbound message counts as negative (the inbox's threshold).
NEGATIVE_BELOW = -0.1
#: The longest range the page accepts (two years and a day).
MAX_RANGE_DAYS = 732
PRESETS: tuple[str, ...] = ("today", "7d", "30d", "month")
SURVEY_KIND = "survey"

FRT_COLUMNS = tuple(f"frt_h{i}" for i in range(N_BUCKETS))
FRTB_COLUMNS = tuple(f"frtb_h{i}" for i in range(N_BUCKETS))
CATEGORY_COLUMNS = tuple(f"cat_{c}" for c in CATEGORIES)
URGENCY_COLUMNS = tuple(f"urg_{u}" for u in URGENCY_FLAGS)
SURVEY_SCORE_COLUMNS = tuple(f"sv_{q}_{s}" for q in QUESTIONS for s in range(1, 6))
SCALAR_COLUMNS: tuple[str, ...] = (
    "mentions", "negative", "polarity_n", "threads", "excluded", "answered", "moved",
    "loop_closed", "frt_n", "frtb_n", "sla_first_n", "sla_first_met", "sla_res_n",
    "sla_res_met", "sv_sent", "sv_answered",
)
#: Every summed integer column of a rollup row (``polarity_sum`` is the one float).
COUNT_COLUMNS: tuple[str, ...] = (SCALAR_COLUMNS + FRT_COLUMNS + FRTB_COLUMNS
                                  + CATEGORY_COLUMNS + URGENCY_COLUMNS + SURVEY_SCORE_COLUMNS)
SUM_COLUMNS: tuple[str, ...] = (*COUNT_COLUMNS, "polarity_sum")


# --------------------------------------------------------------------------------------------
# Histograms and percentiles
# --------------------------------------------------------------------------------------------


def bucket_of(seconds: float) -> int:
    """The histogram bucket of a duration (negative durations count as zero)."""
    value = max(0.0, seconds)
    low, high = 0, N_BUCKETS - 1
    while low < high:  # the last edge <= value
        mid = (low + high + 1) // 2
        if BUCKET_EDGES[mid] <= value:
            low = mid
        else:
            high = mid - 1
    return low


def bucket_bounds(index: int) -> tuple[float, float]:
    """The [low, high) bounds of a bucket; the last bucket's high is infinity."""
    high = BUCKET_EDGES[index + 1] if index + 1 < N_BUCKETS else math.inf
    return float(BUCKET_EDGES[index]), float(high)


def nearest_rank(n: int, q: float) -> int:
    """The 1-based rank of the q-quantile among n values (nearest-rank definition)."""
    return max(1, math.ceil(q * n))


def exact_percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile of the values by nearest rank; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[nearest_rank(len(ordered), q) - 1])


def histogram(values: Iterable[float]) -> list[int]:
    """Counts per bucket of the durations."""
    counts = [0] * N_BUCKETS
    for value in values:
        counts[bucket_of(value)] += 1
    return counts


def hist_percentile(counts: Sequence[int], q: float) -> float | None:
    """The q-quantile read from bucket counts, interpolated inside its bucket.

    The value returned lies in the bucket that holds the exact nearest-rank quantile (the
    open last bucket answers its lower bound), so it is within one bucket of the truth.
    """
    total = sum(counts)
    if total <= 0:
        return None
    rank = nearest_rank(total, q)
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            low, high = bucket_bounds(index)
            if math.isinf(high):
                return low
            # Spread the bucket's values evenly; the k-th of n sits at (k - 0.5) / n.
            return low + (high - low) * ((rank - seen) - 0.5) / count
        seen += count
    return None  # unreachable: rank <= total


# --------------------------------------------------------------------------------------------
# Raw rows in, one thread's fact out
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThreadIn:
    """The thread columns the metrics read."""

    id: int
    brand_id: int
    channel_id: int
    segment: str
    status: str
    close_reason: str | None
    category: str | None
    urgency: tuple[str, ...]
    first_response_due: datetime | None
    resolution_due: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class MessageIn:
    """The message columns the metrics read; ``at`` is the platform time."""

    direction: str  # "in" | "out"
    visibility: str  # "public" | "private"
    at: datetime
    kind: str = "mention"
    sent: bool = True  # outbound: the platform has it (send_state "sent")
    is_ack: bool = False
    polarity: float | None = None


@dataclass(frozen=True, slots=True)
class Fact:
    """What one thread contributes to the rollups (stored, one row per thread)."""

    thread_id: int
    brand_id: int
    channel_id: int
    day: date
    opened_at: datetime
    public: bool
    excluded: bool
    answered: bool
    first_reply_at: datetime | None
    frt_seconds: int | None
    frt_business_seconds: int | None
    moved: bool
    loop_closed: bool
    sla_first: bool | None
    sla_res: bool | None
    category: str | None
    urgency: tuple[str, ...] = field(default=())


def local_day(at: datetime, zone: ZoneInfo) -> date:
    """The brand's local calendar day of an instant."""
    return at.astimezone(zone).date()


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where a local day starts and the next one starts."""
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


def _is_agent(message: MessageIn) -> bool:
    return message.direction == "out" and message.sent and message.kind != SURVEY_KIND


def thread_fact(thread: ThreadIn, messages: Sequence[MessageIn], calendar: BusinessCalendar,
                zone: ZoneInfo, now: datetime, previous: Fact | None = None) -> Fact | None:
    """One thread's fact from its rows; None for a thread with no inbound message.

    ``previous`` is the fact stored earlier: when the first agent reply is the same, its
    business-hours time and first-response SLA verdict are kept as first computed.
    """
    ordered = sorted(messages, key=lambda m: m.at)
    inbound = [m for m in ordered if m.direction == "in"]
    if not inbound:
        return None
    first_in = inbound[0]
    agent = [m for m in ordered if _is_agent(m)]
    public_agent = [m for m in agent if m.visibility == "public"]
    first_reply = agent[0].at if agent else None
    excluded = (thread.close_reason or "") in EXCLUDED_REASONS
    public = first_in.visibility == "public"
    answered = public and not excluded and bool(public_agent)
    frt = frt_b = None
    if first_reply is not None:
        frt = max(0, int((first_reply - first_in.at).total_seconds()))
        if previous is not None and previous.first_reply_at == first_reply \
                and previous.frt_business_seconds is not None:
            frt_b = previous.frt_business_seconds
        else:
            frt_b = business_seconds(calendar, first_in.at, first_reply)
    acks = [m.at for m in public_agent if m.is_ack]
    moved = answered and bool(acks)
    loop_closed = moved and any(not m.is_ack and m.at > acks[0] for m in public_agent)
    sla_first: bool | None = None
    due = thread.first_response_due
    if due is not None and not excluded:
        if first_reply is not None:
            sla_first = first_reply <= due
        elif due <= now:
            sla_first = False
    if previous is not None and previous.first_reply_at == first_reply \
            and first_reply is not None and previous.sla_first is not None:
        sla_first = previous.sla_first
    sla_res: bool | None = None
    res_due = thread.resolution_due
    if res_due is not None and not excluded:
        if thread.resolved_at is not None and thread.status in ("resolved", "closed"):
            sla_res = thread.resolved_at <= res_due
        elif res_due <= now:
            sla_res = False
    return Fact(
        thread_id=thread.id, brand_id=thread.brand_id, channel_id=thread.channel_id,
        day=local_day(first_in.at, zone), opened_at=first_in.at, public=public,
        excluded=excluded, answered=answered, first_reply_at=first_reply,
        frt_seconds=frt, frt_business_seconds=frt_b, moved=moved, loop_closed=loop_closed,
        sla_first=sla_first, sla_res=sla_res, category=thread.category,
        urgency=tuple(u for u in thread.urgency if u in URGENCY_FLAGS),
    )


def business_seconds(calendar: BusinessCalendar, start: datetime, end: datetime) -> int:
    """Open time of the calendar between two instants, in whole seconds."""
    if end <= start:
        return 0
    try:
        return int(calendar.business_time_between(start, end).total_seconds())
    except NoOpenHoursError:
        return 0


# --------------------------------------------------------------------------------------------
# One rollup row
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SurveyIn:
    """A survey as the rollups see it: sent or not, and its three scores once answered."""

    sent: bool
    answered: bool
    scores: Mapping[str, int] = field(default_factory=dict)


def empty_row() -> dict[str, float]:
    """A rollup row of zeros."""
    return dict.fromkeys(SUM_COLUMNS, 0)


def rollup_values(facts: Iterable[Fact], inbound_polarities: Iterable[float | None],
                  surveys: Iterable[SurveyIn] = ()) -> dict[str, float]:
    """The summed columns of one (brand, channel, day) row.

    ``facts``: threads opened that day; ``inbound_polarities``: the day's public inbound
    messages (None when not scored); ``surveys``: surveys sent that day.
    """
    row = empty_row()
    for polarity in inbound_polarities:
        row["mentions"] += 1
        if polarity is not None:
            row["polarity_n"] += 1
            row["polarity_sum"] += polarity
            if polarity < NEGATIVE_BELOW:
                row["negative"] += 1
    for fact in facts:
        if not fact.public:
            continue
        row["threads"] += 1
        if fact.category in CATEGORIES:
            row[f"cat_{fact.category}"] += 1
        for flag in fact.urgency:
            row[f"urg_{flag}"] += 1
        if fact.excluded:
            row["excluded"] += 1
            continue
        if fact.answered:
            row["answered"] += 1
            if fact.frt_seconds is not None:
                row["frt_n"] += 1
                row[f"frt_h{bucket_of(fact.frt_seconds)}"] += 1
            if fact.frt_business_seconds is not None:
                row["frtb_n"] += 1
                row[f"frtb_h{bucket_of(fact.frt_business_seconds)}"] += 1
            if fact.moved:
                row["moved"] += 1
                if fact.loop_closed:
                    row["loop_closed"] += 1
        if fact.sla_first is not None:
            row["sla_first_n"] += 1
            row["sla_first_met"] += int(fact.sla_first)
        if fact.sla_res is not None:
            row["sla_res_n"] += 1
            row["sla_res_met"] += int(fact.sla_res)
    for survey in surveys:
        if not survey.sent:
            continue
        row["sv_sent"] += 1
        if survey.answered:
            row["sv_answered"] += 1
            for question in QUESTIONS:
                score = survey.scores.get(question)
                if score is not None and 1 <= score <= 5:
                    row[f"sv_{question}_{score}"] += 1
    return row


def add_rows(rows: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """Column-wise sum of rollup rows (what SQL's SUM does on the server)."""
    total = empty_row()
    for row in rows:
        for column in SUM_COLUMNS:
            total[column] += row.get(column) or 0
    return total


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionFigures:
    """One survey question: answers, share of 4-5, distribution 1..5."""

    answers: int
    satisfied_share: float | None
    distribution: tuple[int, int, int, int, int]


@dataclass(frozen=True)
class Figures:
    """The figures of a period (and one channel or all)."""

    mentions: int
    threads: int
    excluded: int
    answered: int
    answered_share: float | None
    frt_count: int
    frt_median: float | None
    frt_p90: float | None
    frtb_count: int
    frtb_median: float | None
    frtb_p90: float | None
    moved: int
    moved_share: float | None
    loop_closed: int
    loop_closed_share: float | None
    sla_first_n: int
    sla_first_share: float | None
    sla_res_n: int
    sla_res_share: float | None
    polarity_n: int
    polarity_avg: float | None
    negative: int
    negative_share: float | None
    categories: dict[str, int]
    urgency: dict[str, int]
    surveys_sent: int
    surveys_answered: int
    response_rate: float | None
    questions: dict[str, QuestionFigures]


def share(part: float, whole: float) -> float | None:
    """part / whole, or None when there is nothing to divide (never a 0% from no data)."""
    return part / whole if whole else None


def figures(sums: Mapping[str, float]) -> Figures:
    """The figures from summed rollup columns."""
    def n(column: str) -> int:
        return int(sums.get(column) or 0)

    frt = [n(c) for c in FRT_COLUMNS]
    frtb = [n(c) for c in FRTB_COLUMNS]
    questions: dict[str, QuestionFigures] = {}
    for question in QUESTIONS:
        dist = tuple(n(f"sv_{question}_{s}") for s in range(1, 6))
        answers = sum(dist)
        questions[question] = QuestionFigures(
            answers, share(dist[3] + dist[4], answers),
            (dist[0], dist[1], dist[2], dist[3], dist[4]))
    eligible = n("threads") - n("excluded")
    return Figures(
        mentions=n("mentions"), threads=n("threads"), excluded=n("excluded"),
        answered=n("answered"), answered_share=share(n("answered"), eligible),
        frt_count=n("frt_n"), frt_median=hist_percentile(frt, 0.5),
        frt_p90=hist_percentile(frt, 0.9),
        frtb_count=n("frtb_n"), frtb_median=hist_percentile(frtb, 0.5),
        frtb_p90=hist_percentile(frtb, 0.9),
        moved=n("moved"), moved_share=share(n("moved"), n("answered")),
        loop_closed=n("loop_closed"), loop_closed_share=share(n("loop_closed"), n("moved")),
        sla_first_n=n("sla_first_n"), sla_first_share=share(n("sla_first_met"),
                                                             n("sla_first_n")),
        sla_res_n=n("sla_res_n"), sla_res_share=share(n("sla_res_met"), n("sla_res_n")),
        polarity_n=n("polarity_n"),
        polarity_avg=(float(sums.get("polarity_sum") or 0) / n("polarity_n")
                      if n("polarity_n") else None),
        negative=n("negative"), negative_share=share(n("negative"), n("polarity_n")),
        categories={c: n(f"cat_{c}") for c in CATEGORIES},
        urgency={u: n(f"urg_{u}") for u in URGENCY_FLAGS},
        surveys_sent=n("sv_sent"), surveys_answered=n("sv_answered"),
        response_rate=share(n("sv_answered"), n("sv_sent")),
        questions=questions,
    )


def direct_figures(facts: Iterable[Fact], inbound_polarities: Iterable[float | None],
                   surveys: Iterable[SurveyIn] = ()) -> Figures:
    """The figures computed straight from facts, with exact (nearest-rank) percentiles.

    The reference the rollups are tested against: identical counts and shares, percentiles
    within one bucket.
    """
    facts = list(facts)
    from_rollup = figures(rollup_values(facts, inbound_polarities, surveys))
    counted = [f for f in facts if f.public and not f.excluded and f.answered]
    frt = [float(f.frt_seconds) for f in counted if f.frt_seconds is not None]
    frtb = [float(f.frt_business_seconds) for f in counted
            if f.frt_business_seconds is not None]
    return replace(from_rollup,
                   frt_median=exact_percentile(frt, 0.5), frt_p90=exact_percentile(frt, 0.9),
                   frtb_median=exact_percentile(frtb, 0.5),
                   frtb_p90=exact_percentile(frtb, 0.9))


def change(current: float | None, previous: float | None) -> float | None:
    """Relative change against the previous period (None when undefined)."""
    if current is None or previous in (None, 0):
        return None
    assert previous is not None
    return (current - previous) / previous


# --------------------------------------------------------------------------------------------
# Date ranges
# --------------------------------------------------------------------------------------------


class RangeError(ValueError):
    """A date range the page refuses; ``code`` picks the message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class DateRange:
    """Inclusive local days [start, end]."""

    start: date
    end: date

    @property
    def days(self) -> int:
        """Number of days in the range."""
        return (self.end - self.start).days + 1

    def previous(self) -> DateRange:
        """The period of the same length just before."""
        return DateRange(self.start - timedelta(days=self.days),
                         self.start - timedelta(days=1))

    def each_day(self) -> list[date]:
        """Every day of the range, in order."""
        return [self.start + timedelta(days=i) for i in range(self.days)]


def month_end(first: date) -> date:
    """The last day of the month of ``first``."""
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def split_months(rng: DateRange) -> tuple[list[DateRange], DateRange | None]:
    """The range as its whole months (first days, inclusive) and the partial edges.

    Returns (edges, months): ``months`` spans the first days of the months lying entirely
    inside the range (None when there is none); ``edges`` are the day ranges outside them.
    """
    first = rng.start if rng.start.day == 1 else month_end(rng.start) + timedelta(days=1)
    last_end = rng.end if month_end(rng.end) == rng.end else rng.end.replace(day=1) - \
        timedelta(days=1)
    if first > last_end:
        return [rng], None
    edges = []
    if rng.start < first:
        edges.append(DateRange(rng.start, first - timedelta(days=1)))
    if last_end < rng.end:
        edges.append(DateRange(last_end + timedelta(days=1), rng.end))
    return edges, DateRange(first, last_end.replace(day=1))


def preset_range(preset: str, today: date) -> DateRange:
    """The range of a preset: today, the last 7 or 30 days, or this month so far."""
    if preset == "today":
        return DateRange(today, today)
    if preset == "7d":
        return DateRange(today - timedelta(days=6), today)
    if preset == "30d":
        return DateRange(today - timedelta(days=29), today)
    if preset == "month":
        return DateRange(today.replace(day=1), today)
    raise RangeError("bad_preset")


def parse_range(start: str | None, end: str | None, preset: str | None,
                today: date) -> DateRange:
    """A range from the query string: a preset, or two ISO dates; 30 days when empty.

    Refuses (``RangeError``): an unknown preset, a malformed date, a reversed range, a
    range reaching past today, one longer than ``MAX_RANGE_DAYS``.
    """
    if not start and not end:
        return preset_range(preset or "30d", today)
    if not start or not end:
        raise RangeError("incomplete")
    try:
        first, last = date.fromisoformat(start[:10]), date.fromisoformat(end[:10])
    except ValueError:
        raise RangeError("bad_date") from None
    if len(start) > 10 or len(end) > 10:
        raise RangeError("bad_date")
    if last < first:
        raise RangeError("reversed")
    if last > today:
        raise RangeError("future")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise RangeError("too_long")
    return DateRange(first, last)
