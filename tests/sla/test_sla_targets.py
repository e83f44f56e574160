"""SLA targets, priority bands, due times, escalation and the inbox colour."""

import math
from datetime import UTC, datetime, time, timedelta

import pytest

from app.sla.calendar import DEFAULT_CALENDARS, BusinessCalendar, TimeBlock
from app.sla.clock import sla_state, time_left
from app.sla.targets import (
    DEFAULT_SLA_TARGETS,
    PRIORITY_BANDS,
    SlaTargets,
    due_times,
    escalation_due,
    priority_band,
)


@pytest.mark.parametrize(
    "priority, band",
    [
        (100, "urgent"),
        (75, "urgent"),
        (74.99, "high"),
        (50, "high"),
        (49.9, "normal"),
        (25, "normal"),
        (24.99, "low"),
        (0, "low"),
        (150, "urgent"),
        (-3, "low"),
    ],
)
def test_priority_bands(priority, band):
    assert priority_band(priority) == band


@pytest.mark.parametrize("bad", [math.nan, "80", None, True])
def test_bad_priority_rejected(bad):
    with pytest.raises(ValueError, match="priority"):
        priority_band(bad)


# Received Monday 2 March 2026 at 10:00 in Paris (no holiday that week).
@pytest.mark.parametrize(
    "segment, priority, first, resolution",
    [
        ("professional", 90, (2, 10, 30), (3, 10, 0)),  # 30 min; 9 h = 1 day
        ("professional", 60, (2, 11, 0), (4, 10, 0)),  # 1 h; 18 h = 2 days
        ("professional", 30, (2, 12, 0), (5, 10, 0)),  # 2 h; 27 h = 3 days
        ("professional", 10, (2, 14, 0), (9, 10, 0)),  # 4 h; 45 h = 5 days, weekend skipped
        ("private", 90, (2, 10, 30), (3, 10, 0)),  # 10 h = 1 private day
        ("private", 60, (2, 11, 0), (4, 10, 0)),
        ("private", 30, (2, 12, 0), (5, 10, 0)),
        ("private", 10, (2, 14, 0), (7, 10, 0)),  # 50 h = 5 days, Saturday counts
    ],
)
def test_due_times_per_band(paris, segment, priority, first, resolution):
    got_first, got_resolution = due_times(
        paris(2026, 3, 2, 10), segment, priority, DEFAULT_CALENDARS, DEFAULT_SLA_TARGETS
    )
    assert got_first == paris(2026, 3, *first)
    assert got_resolution == paris(2026, 3, *resolution)
    assert got_first.tzinfo is UTC


def test_due_times_use_the_segment_calendar(paris):
    # A Saturday message: private customers are served that day, professionals on Monday.
    saturday = paris(2026, 3, 7, 10)
    assert due_times(saturday, "private", 80)[0] == paris(2026, 3, 7, 10, 30)
    assert due_times(saturday, "professional", 80)[0] == paris(2026, 3, 9, 9, 30)


def test_due_times_with_custom_targets_and_calendars(paris):
    minutes = {band: timedelta(minutes=15) for band in PRIORITY_BANDS}
    targets = SlaTargets(first_response={"vip": minutes}, resolution={"vip": minutes})
    cal = BusinessCalendar("Europe/Paris", {d: [TimeBlock(time(8), time(20))] for d in range(7)})
    first, resolution = due_times(paris(2026, 3, 8, 7), "vip", 50, {"vip": cal}, targets)
    assert first == resolution == paris(2026, 3, 8, 8, 15)


def test_due_times_unknown_segment(paris):
    with pytest.raises(ValueError, match="no business calendar for segment 'vip'"):
        due_times(paris(2026, 3, 2, 10), "vip", 50)
    only_calendar = {"vip": DEFAULT_CALENDARS["private"]}
    with pytest.raises(ValueError, match="no SLA targets for segment 'vip'"):
        due_times(paris(2026, 3, 2, 10), "vip", 50, only_calendar)


def test_due_times_rejects_naive(paris):
    with pytest.raises(ValueError, match="timezone-aware"):
        due_times(datetime(2026, 3, 2, 10), "private", 50)


def test_default_targets():
    assert DEFAULT_SLA_TARGETS.first_response_for("professional", "urgent") == timedelta(minutes=30)
    assert DEFAULT_SLA_TARGETS.first_response_for("private", "low") == timedelta(hours=4)
    assert DEFAULT_SLA_TARGETS.resolution_for("professional", "low") == timedelta(hours=45)
    assert DEFAULT_SLA_TARGETS.resolution_for("private", "urgent") == timedelta(hours=10)
    assert set(DEFAULT_SLA_TARGETS.segments) == {"professional", "private"}
    with pytest.raises(ValueError, match="unknown priority band"):
        DEFAULT_SLA_TARGETS.first_response_for("private", "critical")


def test_targets_round_trip():
    data = DEFAULT_SLA_TARGETS.to_dict()
    assert data["first_response"]["professional"] == {
        "urgent": 30,
        "high": 60,
        "normal": 120,
        "low": 240,
    }
    assert data["resolution"]["private"]["low"] == 50 * 60
    assert SlaTargets.from_dict(data) == DEFAULT_SLA_TARGETS


def test_targets_must_be_whole_minutes():
    bands = {band: timedelta(minutes=10, seconds=30) for band in PRIORITY_BANDS}
    with pytest.raises(ValueError, match="whole minutes"):
        SlaTargets({"x": bands}, {"x": bands})


def test_targets_do_not_share_the_callers_dicts():
    bands = {band: timedelta(hours=1) for band in PRIORITY_BANDS}
    targets = SlaTargets({"x": bands}, {"x": dict(bands)})
    bands["urgent"] = timedelta(hours=9)
    assert targets.first_response_for("x", "urgent") == timedelta(hours=1)


def _table(**overrides):
    bands = {"urgent": 30, "high": 60, "normal": 120, "low": 240} | overrides
    return {"first_response": {"private": bands}, "resolution": {"private": bands}}


@pytest.mark.parametrize(
    "data, message",
    [
        ([], "must be a mapping"),
        ({"first_response": {}}, "first_response: expected"),
        ({**_table(), "escalation": {}}, "unknown keys"),
        ({"first_response": {"private": 30}, "resolution": {}}, r"first_response\.private"),
        (_table(urgent=0), r"urgent: must be a positive duration"),
        (_table(high=-5), r"high: must be a positive duration"),
        (_table(low=1.5), r"low: expected whole minutes"),
        (_table(low="240"), r"low: expected whole minutes"),
        (
            {"first_response": {"private": {"urgent": 30}}, "resolution": _table()["resolution"]},
            "missing",
        ),
        (_table(critical=5), "unknown"),
        (
            {
                "first_response": _table()["first_response"],
                "resolution": {"pro": _table()["resolution"]["private"]},
            },
            "same segments",
        ),
    ],
)
def test_bad_target_dicts(data, message):
    with pytest.raises(ValueError, match=message):
        SlaTargets.from_dict(data)


def test_escalation_days(paris, utc):
    opened = paris(2026, 3, 27, 10)  # a Friday, two days before the spring change
    assert escalation_due(opened, "private") == utc(2026, 4, 3, 9)  # 7 x 24 h
    assert escalation_due(opened, "professional") == utc(2026, 3, 30, 9)  # 3 x 24 h
    assert escalation_due(opened, "private", private_days=2) == utc(2026, 3, 29, 9)
    assert escalation_due(opened, "professional", professional_days=0) == opened
    assert escalation_due(opened, "private").tzinfo is UTC


def test_escalation_errors(paris):
    with pytest.raises(ValueError, match="unknown segment"):
        escalation_due(paris(2026, 3, 2), "vip")
    with pytest.raises(ValueError, match="non-negative"):
        escalation_due(paris(2026, 3, 2), "private", private_days=-1)
    with pytest.raises(ValueError, match="timezone-aware"):
        escalation_due(datetime(2026, 3, 2), "private")


def test_time_left(pro, paris):
    due = paris(2026, 3, 9, 9, 30)  # Monday
    now = paris(2026, 3, 6, 17, 50)  # Friday
    assert time_left(due, now) == due - now
    assert time_left(due, now, pro) == timedelta(minutes=40)
    assert time_left(now, due) < timedelta(0)
    assert time_left(now, due, pro) == -timedelta(minutes=40)


@pytest.mark.parametrize(
    "left, target, state",
    [
        (timedelta(hours=3), timedelta(hours=4), "ok"),
        (timedelta(minutes=61), timedelta(hours=4), "ok"),
        (timedelta(minutes=59), timedelta(hours=4), "warning"),  # under 25 % of 4 h
        (timedelta(minutes=16), timedelta(minutes=30), "ok"),
        (timedelta(minutes=14), timedelta(minutes=30), "warning"),  # under 15 min
        (timedelta(minutes=14), None, "warning"),
        (timedelta(minutes=20), None, "ok"),
        (timedelta(0), timedelta(hours=1), "breached"),
        (-timedelta(minutes=1), timedelta(hours=1), "breached"),
    ],
)
def test_sla_state(paris, left, target, state):
    now = paris(2026, 3, 4, 10)
    assert sla_state(now + left, now, target) == state


def test_sla_state_in_business_time(pro, paris):
    due = paris(2026, 3, 9, 9, 30)
    # Friday 17:50: 40 business minutes left out of a 1 h target -> ok; wall clock says days.
    assert sla_state(due, paris(2026, 3, 6, 17, 50), timedelta(hours=1), calendar=pro) == "ok"
    # Friday 17:55: 35 min of business time left, under 25 % of 4 h -> warning.
    assert sla_state(due, paris(2026, 3, 6, 17, 55), timedelta(hours=4), calendar=pro) == (
        "warning"
    )
    assert sla_state(due, paris(2026, 3, 6, 17, 55), timedelta(hours=4)) == "ok"


def test_sla_state_validates(paris):
    now = paris(2026, 3, 4, 10)
    with pytest.raises(ValueError, match="warn_ratio"):
        sla_state(now, now, warn_ratio=2)
    with pytest.raises(ValueError, match="timezone-aware"):
        sla_state(datetime(2026, 3, 4), now)
