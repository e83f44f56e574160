"""Business hours: a brand's opening blocks per day, holidays and closed days, and the
business time between two instants.

Due times from targets are in ``app.sla.targets``, the inbox colour in ``app.sla.clock``.

Pure Python, no Flask or SQLAlchemy: plain data in, plain results out, so the inbox, the
scheduler and the dashboard can all share one definition of "time the brand is open".

Conventions used throughout:

* Every datetime argument must be timezone-aware (naive input raises ``ValueError``); every
  datetime returned is in UTC. Storage and comparison stay unambiguous that way; display code
  converts to the viewer's zone.
* Opening blocks are local wall-clock times in the calendar's zone, so "09:00-18:00" stays
  09:00-18:00 on both sides of a DST change.
* The search for open time walks day by day (never minute by minute) and gives up with
  ``NoOpenHoursError`` after ``MAX_CLOSED_DAYS`` consecutive closed days instead of looping
  forever.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from app.sla.blocks import (
    DAY_NAMES,
    PRIVATE,
    PROFESSIONAL,
    TimeBlock,
    as_utc,
    check_duration,
)

__all__ = [
    "DEFAULT_CALENDARS",
    "MAX_CLOSED_DAYS",
    "BusinessCalendar",
    "NoOpenHoursError",
    "TimeBlock",
    "default_calendar",
]

# A year and a day: any real calendar (even one closed for a long holiday) reopens within it,
# and the bound keeps a fully closed calendar from looping forever.
MAX_CLOSED_DAYS = 366

# Trimmed whenever it grows past this, so a long-lived process cannot grow it without bound.
_DAY_CACHE_LIMIT = 4096
# Local days one timeline covers (from the start's day): several business days of targets
# over a long holiday weekend; a due time beyond it is found by the walk.
_TIMELINE_DAYS = 42
_ZERO = timedelta(0)
_NEVER = datetime.min.replace(tzinfo=UTC)
_TIMELINE_LIMIT = 64


class NoOpenHoursError(ValueError):
    """Raised when a calendar has no open time in the searched range."""



# --------------------------------------------------------------------------------------------
# Business calendar
# --------------------------------------------------------------------------------------------

Interval = tuple[datetime, datetime]


class BusinessCalendar:
    """Weekly opening blocks in one time zone, minus public holidays and extra closed days.

    ``week`` maps 0=Monday .. 6=Sunday to that day's blocks; a missing day is closed.
    ``holidays_country`` is a country code of the ``holidays`` package (``None`` for no public
    holidays). Instances are immutable and safe to share between threads.
    """

    def __init__(
        self,
        timezone: str,
        week: Mapping[int, list[TimeBlock] | tuple[TimeBlock, ...]],
        holidays_country: str | None = "FR",
        extra_closed_days: frozenset[date] = frozenset(),
    ) -> None:
        self._timezone = timezone
        self._tz = _load_zone(timezone)
        self._week = _normalize_week(week)
        if not any(self._week):
            raise NoOpenHoursError(
                "calendar has no open hours: give at least one day an opening block"
            )
        self._country = _check_country(holidays_country)
        self._closed = _normalize_closed(extra_closed_days)
        self._holiday_cache: dict[int, frozenset[date]] = {}
        self._day_cache: dict[date, tuple[Interval, ...]] = {}
        self._timelines: dict[date, _Timeline] = {}
        # (first instant, end) in UTC of the local day last looked up, and its timeline.
        self._last_day: tuple[datetime, datetime, _Timeline | None] = (_NEVER, _NEVER, None)

    # -- read-only attributes ---------------------------------------------------------------

    @property
    def timezone(self) -> str:
        """IANA name of the zone the blocks are read in."""
        return self._timezone

    @property
    def week(self) -> dict[int, list[TimeBlock]]:
        """A copy of the weekly blocks, every day 0..6 present (closed days empty)."""
        return {day: list(blocks) for day, blocks in enumerate(self._week)}

    @property
    def holidays_country(self) -> str | None:
        """Country whose public holidays close the calendar, or ``None``."""
        return self._country

    @property
    def extra_closed_days(self) -> frozenset[date]:
        """Local dates closed on top of the public holidays."""
        return self._closed

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessCalendar):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        week = ", ".join(
            f"{DAY_NAMES[d]}={'+'.join(str(b) for b in blocks)}"
            for d, blocks in enumerate(self._week)
            if blocks
        )
        return (
            f"BusinessCalendar({self._timezone!r}, {week}, holidays={self._country!r}, "
            f"closed={len(self._closed)} days)"
        )

    def _key(self) -> tuple[Any, ...]:
        return (self._timezone, self._week, self._country, self._closed)

    # -- serialisation ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form, the inverse of :meth:`from_dict`."""
        return {
            "timezone": self._timezone,
            "holidays": self._country,
            "week": {
                DAY_NAMES[d]: [block.to_list() for block in blocks]
                for d, blocks in enumerate(self._week)
            },
            "closed": [d.isoformat() for d in sorted(self._closed)],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Build a calendar from :meth:`to_dict` output (e.g. JSON saved by the admin form).

        ``timezone`` and ``week`` are required; ``holidays`` defaults to ``"FR"`` like the
        constructor (``null`` disables public holidays); ``closed`` defaults to none. Days
        missing from ``week`` are closed. Any problem raises ``ValueError`` naming the field.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"calendar must be a mapping, got {type(data).__name__}")
        unknown = set(data) - {"timezone", "holidays", "week", "closed"}
        if unknown:
            raise ValueError(f"calendar: unknown keys {sorted(map(str, unknown))}")
        if "timezone" not in data:
            raise ValueError("calendar: 'timezone' is required (e.g. 'Europe/Paris')")
        if not isinstance(data["timezone"], str):
            raise ValueError(f"timezone: expected a string, got {data['timezone']!r}")
        if "week" not in data:
            raise ValueError("calendar: 'week' is required (e.g. {'mon': [['09:00', '18:00']]})")
        raw_week = data["week"]
        if not isinstance(raw_week, Mapping):
            raise ValueError(f"week: expected a mapping of day names, got {raw_week!r}")
        bad_days = [k for k in raw_week if k not in DAY_NAMES]
        if bad_days:
            raise ValueError(f"week: unknown day(s) {bad_days!r}; use {', '.join(DAY_NAMES)}")
        week: dict[int, list[TimeBlock]] = {}
        for index, name in enumerate(DAY_NAMES):
            raw_blocks = raw_week.get(name) or []
            if not isinstance(raw_blocks, list | tuple):
                raise ValueError(
                    f"week.{name}: expected a list of [start, end], got {raw_blocks!r}"
                )
            week[index] = [
                TimeBlock.from_list(raw, f"week.{name}[{i}]") for i, raw in enumerate(raw_blocks)
            ]
        country = data.get("holidays", "FR")
        if country is not None and not isinstance(country, str):
            raise ValueError(f"holidays: expected a country code or null, got {country!r}")
        raw_closed = data.get("closed") or []
        if not isinstance(raw_closed, list | tuple):
            raise ValueError(f"closed: expected a list of dates, got {raw_closed!r}")
        closed: set[date] = set()
        for i, raw in enumerate(raw_closed):
            try:
                closed.add(date.fromisoformat(raw))
            except (TypeError, ValueError):
                raise ValueError(f"closed[{i}]: {raw!r} is not a date (YYYY-MM-DD)") from None
        return cls(data["timezone"], week, country or None, frozenset(closed))

    # -- queries ----------------------------------------------------------------------------

    def is_closed_day(self, day: date) -> bool:
        """Whether ``day`` (a local date) is a public holiday or an extra closed day."""
        return day in self._closed or day in self._holidays(day.year)

    def is_open(self, at: datetime) -> bool:
        """Whether the calendar is open at the instant ``at``."""
        moment = as_utc(at, "at")
        for start, _end in self._intervals(moment, until=moment):
            return start <= moment
        return False

    def next_open(self, at: datetime) -> datetime:
        """The first open instant at or after ``at`` (``at`` itself when open), in UTC."""
        moment = as_utc(at, "at")
        for start, _end in self._intervals(moment):
            return max(start, moment)
        raise AssertionError("unreachable: _intervals raises when nothing opens")

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """When ``duration`` of open time has elapsed from ``start`` (the due time), in UTC.

        A start outside opening hours starts the clock at the next opening. A duration that
        ends exactly at a closing time returns that closing time, not the next opening.
        """
        return self.add_business_times(start, (duration,))[0]

    def add_business_times(self, start: datetime,
                           durations: Sequence[timedelta]) -> list[datetime]:
        """``add_business_time(start, d)`` for each of ``durations`` (a thread's first-response
        and resolution due times share a start).

        Found by bisection in the open intervals of the weeks after ``start`` (cached per
        local start day: ingest computes two due times for every new thread), or by a walk
        over the opening hours when a due time falls beyond them. Both give the same instant.
        """
        # UTC-aware starts and non-negative timedeltas (ingest's) skip the checks' calls.
        moment = start if type(start) is datetime and start.tzinfo is UTC \
            else as_utc(start, "start")
        for duration in durations:
            if type(duration) is not timedelta or duration < _ZERO:
                check_duration(duration, "duration")
        line = self._timeline(moment)
        i = bisect_right(line.ends, moment)  # the first interval ending after the start
        if i < len(line.ends):
            position = line.before[i] + max(timedelta(0), moment - line.starts[i])
            result = []
            for duration in durations:
                target = position + duration
                # The first interval whose open time, counted to its end, reaches the target
                # (a due time at a closing instant stays there).
                j = bisect_left(line.after, target, lo=i)
                if j == len(line.after):
                    break
                due = line.starts[j] + (target - line.before[j])
                if due > line.until:
                    break
                result.append(due)
            else:
                return result
        return self._walk(moment, durations)

    def _walk(self, moment: datetime, durations: Sequence[timedelta]) -> list[datetime]:
        """``add_business_times`` by walking the opening hours from ``moment`` (UTC)."""
        order = sorted(range(len(durations)), key=lambda k: durations[k])
        result: list[datetime] = [moment] * len(durations)
        elapsed = timedelta(0)
        pending = iter(order)
        k = next(pending, None)
        if k is None:
            return result
        for iv_start, iv_end in self._intervals(moment):
            begin = max(iv_start, moment)
            available = iv_end - begin
            while k is not None and durations[k] - elapsed <= available:
                result[k] = begin + (durations[k] - elapsed)
                k = next(pending, None)
            if k is None:
                return result
            elapsed += available
        raise AssertionError("unreachable: _intervals raises when nothing opens")

    def _timeline(self, moment: datetime) -> _Timeline:
        """The open intervals from the local day of ``moment`` on, for ``_TIMELINE_DAYS``."""
        # Most starts fall on the local day of the previous one (a page of mentions spans
        # minutes): two comparisons instead of a time-zone conversion.
        first, last, line = self._last_day
        if first <= moment < last and line is not None:
            return line
        day = moment.astimezone(self._tz).date()
        line = self._timelines.get(day)
        if line is None:
            # From a day before the local day starts: every interval a start on that day
            # could fall in is listed (the ones ending before the start are skipped by the
            # bisection, as the walk skips them).
            since = datetime.combine(day, time(), tzinfo=self._tz).astimezone(UTC) \
                - timedelta(days=1)
            until = since + timedelta(days=_TIMELINE_DAYS)
            line = _Timeline(list(self._intervals(since, until=until)), until)
            if len(self._timelines) >= _TIMELINE_LIMIT:
                self._timelines.clear()
            self._timelines[day] = line
        self._last_day = (datetime.combine(day, time(), tzinfo=self._tz).astimezone(UTC),
                          datetime.combine(day + timedelta(days=1), time(),
                                           tzinfo=self._tz).astimezone(UTC), line)
        return line

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Open time elapsed from ``a`` to ``b``.

        Antisymmetric: when ``b`` is before ``a`` the result is the negated open time from
        ``b`` to ``a``, so a clock-skewed reply shows up instead of silently counting as zero.
        Callers wanting a floor at zero use ``max(result, timedelta(0))``.
        """
        first = as_utc(a, "a")
        second = as_utc(b, "b")
        if second < first:
            return -self._open_time(second, first)
        return self._open_time(first, second)

    def _open_time(self, first: datetime, second: datetime) -> timedelta:
        total = timedelta(0)
        if first == second:
            return total
        for iv_start, iv_end in self._intervals(first, until=second):
            if iv_start >= second:
                break
            total += min(iv_end, second) - max(iv_start, first)
        return total

    # -- internals --------------------------------------------------------------------------

    def _holidays(self, year: int) -> frozenset[date]:
        if self._country is None:
            return frozenset()
        cached = self._holiday_cache.get(year)
        if cached is None:
            cached = frozenset(holidays.country_holidays(self._country, years=year))
            self._holiday_cache[year] = cached
        return cached

    def _day_intervals(self, day: date) -> tuple[Interval, ...]:
        """UTC open intervals of one local date, sorted and merged."""
        cached = self._day_cache.get(day)
        if cached is not None:
            return cached
        blocks = self._week[day.weekday()]
        result: list[list[datetime]] = []
        if blocks and not self.is_closed_day(day):
            for block in blocks:
                start = _resolve_local(self._tz, day, block.start_seconds, is_end=False)
                end = _resolve_local(self._tz, day, block.end_seconds, is_end=True)
                if end <= start:
                    # The whole block fell in a spring-forward gap: it never happens that day.
                    continue
                # Touching blocks (12:00-14:00 + 14:00-18:00) and blocks stretched by a
                # fall-back fold can meet or overlap; merging keeps open time counted once.
                if result and start <= result[-1][1]:
                    result[-1][1] = max(result[-1][1], end)
                else:
                    result.append([start, end])
        intervals = tuple((s, e) for s, e in result)
        if len(self._day_cache) >= _DAY_CACHE_LIMIT:
            self._day_cache.clear()
        self._day_cache[day] = intervals
        return intervals

    def _intervals(self, moment: datetime, until: datetime | None = None) -> Iterator[Interval]:
        """Open intervals ending after ``moment``, in order and disjoint.

        Stops after the local day following ``until`` when given; otherwise runs on and
        raises ``NoOpenHoursError`` after ``MAX_CLOSED_DAYS`` closed days in a row.
        """
        # Starting one local day early catches a previous day's block that runs past
        # midnight in UTC terms (a 24:00 end, or a fold at midnight).
        day = moment.astimezone(self._tz).date() - timedelta(days=1)
        last_day = None if until is None else until.astimezone(self._tz).date() + timedelta(days=1)
        last_end: datetime | None = None
        closed_run = 0
        while last_day is None or day <= last_day:
            intervals = self._day_intervals(day)
            if intervals:
                closed_run = 0
            else:
                closed_run += 1
                if closed_run > MAX_CLOSED_DAYS:
                    raise NoOpenHoursError(
                        f"calendar is not open on any day for {MAX_CLOSED_DAYS} days after "
                        f"{moment.isoformat()}; check its opening blocks and closed days"
                    )
            for start, end in intervals:
                # Adjacent days can overlap around DST changes at midnight: never hand out
                # the same instant twice.
                if last_end is not None and start < last_end:
                    start = last_end
                if end <= start or end <= moment:
                    continue
                last_end = end
                yield start, end
            day += timedelta(days=1)


class _Timeline:
    """Consecutive open intervals with the open time before and after each.

    Every interval starting before ``until`` is listed, so a due time at or before it is
    exact.
    """

    __slots__ = ("after", "before", "ends", "starts", "until")

    def __init__(self, intervals: list[Interval], until: datetime) -> None:
        self.starts = [start for start, _end in intervals]
        self.ends = [end for _start, end in intervals]
        self.before: list[timedelta] = []
        self.after: list[timedelta] = []
        total = timedelta(0)
        for start, end in intervals:
            self.before.append(total)
            total += end - start
            self.after.append(total)
        self.until = until


def _load_zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"timezone must be an IANA name like 'Europe/Paris', got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (expected e.g. 'Europe/Paris')") from None


def _check_country(country: str | None) -> str | None:
    if country is None:
        return None
    if not isinstance(country, str):
        raise ValueError(f"holidays_country must be a country code or None, got {country!r}")
    code = country.strip().upper()
    try:
        holidays.country_holidays(code)
    except NotImplementedError:
        raise ValueError(
            f"unknown holidays country {country!r} (expected an ISO code such as 'FR')"
        ) from None
    return code


def _normalize_week(
    week: Mapping[int, list[TimeBlock] | tuple[TimeBlock, ...]],
) -> tuple[tuple[TimeBlock, ...], ...]:
    if not isinstance(week, Mapping):
        raise ValueError(f"week must map 0 (Monday)..6 (Sunday) to blocks, got {week!r}")
    days: list[tuple[TimeBlock, ...]] = [() for _ in DAY_NAMES]
    for key, blocks in week.items():
        if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key <= 6:
            raise ValueError(f"week keys must be 0 (Monday)..6 (Sunday), got {key!r}")
        if not isinstance(blocks, list | tuple):
            raise ValueError(f"week[{key}] must be a list of TimeBlock, got {blocks!r}")
        for block in blocks:
            if not isinstance(block, TimeBlock):
                raise ValueError(f"week[{key}] must contain TimeBlock items, got {block!r}")
        ordered = tuple(sorted(blocks, key=lambda b: b.start_seconds))
        for before, after in pairwise(ordered):
            if after.start_seconds < before.end_seconds:
                raise ValueError(f"overlapping blocks on {DAY_NAMES[key]}: {before} and {after}")
        days[key] = ordered
    return tuple(days)


def _normalize_closed(days: frozenset[date] | set[date] | Any) -> frozenset[date]:
    try:
        closed = frozenset(days)
    except TypeError:
        raise ValueError(f"extra_closed_days must be a set of dates, got {days!r}") from None
    for day in closed:
        # datetime is a date subclass but would never match a date in a set lookup.
        if not isinstance(day, date) or isinstance(day, datetime):
            raise ValueError(f"extra_closed_days must contain dates, got {day!r}")
    return closed


def _resolve_local(tz: ZoneInfo, day: date, seconds: int, *, is_end: bool) -> datetime:
    """UTC instant of a local wall-clock time, deciding DST edge cases on purpose.

    In a fall-back fold the time happens twice: a block starts at the first occurrence and
    ends at the last, so it stays open until the clock last shows its end time. In a
    spring-forward gap the time never happens: the block edge moves to the transition.
    """
    naive = datetime.combine(day, time(0)) + timedelta(seconds=seconds)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first == second:
        return first
    if first < second:
        return second if is_end else first
    # Gap: PEP 495 maps fold=0 with the offset before the change, fold=1 with the one after,
    # so the transition lies in (second, first]. zoneinfo does not expose transitions, so a
    # short bisection on whole seconds finds it (gaps are at most a few hours).
    before_offset = second.astimezone(tz).utcoffset()
    low, high = second, first
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(tz).utcoffset() == before_offset:
            low = mid
        else:
            high = mid
    return high


# --------------------------------------------------------------------------------------------
# Defaults (the marketplace of the seeds)
# --------------------------------------------------------------------------------------------


def _weekdays(days: range, start: time, end: time) -> dict[int, list[TimeBlock]]:
    return {d: [TimeBlock(start, end)] for d in days}


# Professionals are served on working days, private customers every day but Sunday (seeds:
# the marketplace's support organisation). French public holidays close both.
DEFAULT_CALENDARS: Mapping[str, BusinessCalendar] = MappingProxyType(
    {
        PROFESSIONAL: BusinessCalendar(
            "Europe/Paris", _weekdays(range(0, 5), time(9), time(18)), "FR"
        ),
        PRIVATE: BusinessCalendar("Europe/Paris", _weekdays(range(0, 6), time(9), time(19)), "FR"),
    }
)


def default_calendar(segment: str) -> BusinessCalendar:
    """The default calendar of ``segment`` ("professional" or "private")."""
    try:
        return DEFAULT_CALENDARS[segment]
    except KeyError:
        raise ValueError(
            f"unknown segment {segment!r}; expected one of {', '.join(DEFAULT_CALENDARS)}"
        ) from None
