"""Fixtures for the business-hours tests: Paris wall-clock helpers and sample calendars."""

from collections.abc import Callable
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from app.sla.calendar import BusinessCalendar, TimeBlock, default_calendar

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def paris() -> Callable[..., datetime]:
    """Build an aware Europe/Paris datetime from wall-clock fields."""

    def build(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
        return datetime(year, month, day, hour, minute, tzinfo=PARIS)

    return build


@pytest.fixture
def utc() -> Callable[..., datetime]:
    """Build an aware UTC datetime (expected results are stated in UTC)."""

    def build(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
        return datetime(year, month, day, hour, minute, tzinfo=UTC)

    return build


@pytest.fixture
def pro() -> BusinessCalendar:
    return default_calendar("professional")


@pytest.fixture
def private() -> BusinessCalendar:
    return default_calendar("private")


@pytest.fixture
def lunch() -> BusinessCalendar:
    """Monday to Friday with a lunch gap: 09:00-12:30 and 13:30-18:00."""
    blocks = [TimeBlock(time(9), time(12, 30)), TimeBlock(time(13, 30), time(18))]
    return BusinessCalendar("Europe/Paris", {d: list(blocks) for d in range(5)})


@pytest.fixture
def night() -> BusinessCalendar:
    """Open every day 00:00-06:00, no public holidays: its blocks cross the DST changes."""
    return BusinessCalendar(
        "Europe/Paris", {d: [TimeBlock(time(0), time(6))] for d in range(7)}, None
    )
