"""BusinessCalendar.from_dict / to_dict: JSON round trip and clear errors for bad input."""

import json
from datetime import date, time

import pytest

from app.sla.calendar import DEFAULT_CALENDARS, BusinessCalendar, TimeBlock


def test_to_dict_shape(pro):
    assert pro.to_dict() == {
        "timezone": "Europe/Paris",
        "holidays": "FR",
        "week": {
            "mon": [["09:00", "18:00"]],
            "tue": [["09:00", "18:00"]],
            "wed": [["09:00", "18:00"]],
            "thu": [["09:00", "18:00"]],
            "fri": [["09:00", "18:00"]],
            "sat": [],
            "sun": [],
        },
        "closed": [],
    }


@pytest.mark.parametrize("segment", sorted(DEFAULT_CALENDARS))
def test_defaults_round_trip_through_json(segment):
    cal = DEFAULT_CALENDARS[segment]
    again = BusinessCalendar.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert again == cal
    assert again.to_dict() == cal.to_dict()


def test_custom_calendar_round_trip():
    cal = BusinessCalendar(
        "America/Montreal",
        {
            0: [TimeBlock(time(13, 30), time(18)), TimeBlock(time(9), time(12, 30))],
            4: [TimeBlock(time(20), time(0))],
            6: [TimeBlock(time(10, 0, 30), time(11))],
        },
        None,
        frozenset({date(2026, 12, 24), date(2026, 12, 31)}),
    )
    data = json.loads(json.dumps(cal.to_dict()))
    assert data["week"]["mon"] == [["09:00", "12:30"], ["13:30", "18:00"]]
    assert data["week"]["fri"] == [["20:00", "24:00"]]
    assert data["week"]["sun"] == [["10:00:30", "11:00"]]
    assert data["holidays"] is None
    assert data["closed"] == ["2026-12-24", "2026-12-31"]
    assert BusinessCalendar.from_dict(data) == cal


def test_from_dict_defaults_and_leniency():
    cal = BusinessCalendar.from_dict(
        {"timezone": "Europe/Paris", "week": {"sat": [[" 9:00", "19:00"]]}}
    )
    assert cal.holidays_country == "FR"
    assert cal.extra_closed_days == frozenset()
    assert cal.week[5] == [TimeBlock(time(9), time(19))]
    assert cal.week[0] == []
    lower = BusinessCalendar.from_dict(
        {"timezone": "Europe/Paris", "holidays": "fr", "week": {"mon": [["09:00", "10:00"]]}}
    )
    assert lower.holidays_country == "FR"


GOOD_WEEK = {"mon": [["09:00", "18:00"]]}


@pytest.mark.parametrize(
    "data, message",
    [
        ("Europe/Paris", "must be a mapping"),
        ({"week": GOOD_WEEK}, "'timezone' is required"),
        ({"timezone": "Europe/Paris"}, "'week' is required"),
        ({"timezone": 1, "week": GOOD_WEEK}, "timezone: expected a string"),
        ({"timezone": "Europe/Pariss", "week": GOOD_WEEK}, "unknown time zone 'Europe/Pariss'"),
        ({"timezone": "Europe/Paris", "week": GOOD_WEEK, "colour": "red"}, "unknown keys"),
        ({"timezone": "Europe/Paris", "week": [["09:00", "18:00"]]}, "week: expected a mapping"),
        ({"timezone": "Europe/Paris", "week": {"monday": []}}, "unknown day"),
        ({"timezone": "Europe/Paris", "week": {"mon": "09:00-18:00"}}, r"week\.mon: expected"),
        ({"timezone": "Europe/Paris", "week": {"mon": [["09:00"]]}}, r"week\.mon\[0\]"),
        ({"timezone": "Europe/Paris", "week": {"mon": [["9h", "18h"]]}}, "is not a time"),
        ({"timezone": "Europe/Paris", "week": {"mon": [["25:00", "26:00"]]}}, "not a valid time"),
        ({"timezone": "Europe/Paris", "week": {"mon": [["24:00", "24:00"]]}}, "not a valid time"),
        (
            {"timezone": "Europe/Paris", "week": {"tue": [["09:00", "18:00"], ["17:00", "19:00"]]}},
            "overlapping blocks on tue",
        ),
        (
            {"timezone": "Europe/Paris", "week": {"wed": [["18:00", "09:00"]]}},
            r"week\.wed\[0\]: TimeBlock end 09:00 must be after start 18:00",
        ),
        ({"timezone": "Europe/Paris", "week": {"mon": []}}, "no open hours"),
        ({"timezone": "Europe/Paris", "week": GOOD_WEEK, "holidays": "ZZ"}, "holidays country"),
        ({"timezone": "Europe/Paris", "week": GOOD_WEEK, "holidays": 33}, "holidays: expected"),
        ({"timezone": "Europe/Paris", "week": GOOD_WEEK, "closed": "2026-12-24"}, "closed:"),
        (
            {"timezone": "Europe/Paris", "week": GOOD_WEEK, "closed": ["2026-12-24", "24/12"]},
            r"closed\[1\]: '24/12' is not a date",
        ),
    ],
)
def test_bad_dicts_give_clear_errors(data, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar.from_dict(data)
