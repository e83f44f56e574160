"""Opening blocks of a day, the names of the week's days and the datetime checks the SLA
modules share (pure Python)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

__all__ = ["DAY_NAMES", "PRIVATE", "PROFESSIONAL", "SEGMENTS", "TimeBlock", "as_utc",
           "check_duration"]

PROFESSIONAL = "professional"
PRIVATE = "private"
SEGMENTS: tuple[str, ...] = (PROFESSIONAL, PRIVATE)

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

SECONDS_PER_DAY = 24 * 3600
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")

# --------------------------------------------------------------------------------------------
# Time blocks
# --------------------------------------------------------------------------------------------


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _format_time(t: time, *, is_end: bool = False) -> str:
    if is_end and t == time(0):
        return "24:00"
    if t.second:
        return f"{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    return f"{t.hour:02d}:{t.minute:02d}"


def _parse_time(value: object, where: str, *, is_end: bool) -> time:
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected a time string like '09:00', got {value!r}")
    match = _TIME_RE.match(value.strip())
    if not match:
        raise ValueError(f"{where}: {value!r} is not a time (expected HH:MM or HH:MM:SS)")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if is_end and (hour, minute, second) == (24, 0, 0):
        # "24:00" is how a form says "until midnight"; time() cannot hold it, so the
        # TimeBlock convention end=00:00 stands for it.
        return time(0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{where}: {value!r} is not a valid time of day")
    return time(hour, minute, second)


@dataclass(frozen=True, slots=True)
class TimeBlock:
    """One opening block of a day, in local wall-clock time.

    ``end`` must be after ``start``. ``end == time(0)`` means midnight at the end of the day
    (written ``"24:00"`` in dicts), which lets a calendar be open until, or around, midnight.
    """

    start: time
    end: time

    def __post_init__(self) -> None:
        for name, value in (("start", self.start), ("end", self.end)):
            if not isinstance(value, time):
                raise ValueError(f"TimeBlock {name} must be a datetime.time, got {value!r}")
            if value.tzinfo is not None:
                raise ValueError(
                    f"TimeBlock {name} must be a naive wall-clock time; the calendar's "
                    "timezone gives it meaning"
                )
            if value.microsecond:
                raise ValueError(f"TimeBlock {name} must not carry microseconds")
        if self.end_seconds <= self.start_seconds:
            raise ValueError(
                f"TimeBlock end {_format_time(self.end, is_end=True)} must be after "
                f"start {_format_time(self.start)}"
            )

    @property
    def start_seconds(self) -> int:
        """Start as seconds after local midnight."""
        return _seconds(self.start)

    @property
    def end_seconds(self) -> int:
        """End as seconds after local midnight (86400 for an end at midnight)."""
        return SECONDS_PER_DAY if self.end == time(0) else _seconds(self.end)

    def to_list(self) -> list[str]:
        """JSON-friendly ``["09:00", "18:00"]``."""
        return [_format_time(self.start), _format_time(self.end, is_end=True)]

    @classmethod
    def from_list(cls, value: object, where: str = "block") -> TimeBlock:
        """Parse ``["09:00", "18:00"]``; errors name ``where`` so a form can point at it."""
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise ValueError(
                f"{where}: expected [start, end] like ['09:00', '18:00'], got {value!r}"
            )
        start = _parse_time(value[0], f"{where} start", is_end=False)
        end = _parse_time(value[1], f"{where} end", is_end=True)
        try:
            return cls(start, end)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None

    def __str__(self) -> str:
        return "-".join(self.to_list())


# --------------------------------------------------------------------------------------------
# Datetime helpers
# --------------------------------------------------------------------------------------------


def as_utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {value.isoformat()})")
    return value.astimezone(UTC)


def check_duration(value: timedelta, name: str) -> None:
    if not isinstance(value, timedelta):
        raise ValueError(f"{name} must be a timedelta, got {value!r}")
    if value < timedelta(0):
        raise ValueError(f"{name} must not be negative, got {value}")


