"""Opening hours, holidays, lunch gaps and the search bounds of BusinessCalendar."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from app.sla import calendar as sla_calendar
from app.sla.calendar import (
    MAX_CLOSED_DAYS,
    BusinessCalendar,
    NoOpenHoursError,
    TimeBlock,
    default_calendar,
)


def test_friday_evening_plus_one_hour_lands_on_monday_for_professionals(pro, paris):
    due = pro.add_business_time(paris(2026, 3, 6, 17, 30), timedelta(hours=1))
    assert due == paris(2026, 3, 9, 9, 30)
    assert due.tzinfo is UTC


def test_results_are_utc_whatever_the_input_zone(pro, paris):
    start = paris(2026, 3, 4, 10).astimezone(datetime.now().astimezone().tzinfo)
    for result in (
        pro.add_business_time(start, timedelta(minutes=5)),
        pro.next_open(start),
    ):
        assert result.tzinfo is UTC


def test_saturday_open_for_private_closed_for_professional(pro, private, paris):
    saturday = paris(2026, 3, 7, 11)
    assert private.is_open(saturday)
    assert not pro.is_open(saturday)


def test_sunday_closed_for_everyone(pro, private, paris):
    sunday = paris(2026, 3, 8, 11)
    assert not private.is_open(sunday)
    assert not pro.is_open(sunday)
    assert private.next_open(sunday) == paris(2026, 3, 9, 9)


def test_private_hours_run_until_19(private, paris):
    assert private.is_open(paris(2026, 3, 4, 18, 59))
    assert not private.is_open(paris(2026, 3, 4, 19))
    assert not private.is_open(paris(2026, 3, 4, 8, 59))
    assert private.is_open(paris(2026, 3, 4, 9))


@pytest.mark.parametrize(
    "day",
    [date(2026, 7, 14), date(2026, 12, 25), date(2026, 5, 1), date(2027, 5, 1)],
    ids=["14-july-tue", "christmas-fri", "1-may-fri", "1-may-2027-sat"],
)
def test_french_public_holidays_are_closed(private, pro, paris, day):
    at = paris(day.year, day.month, day.day, 11)
    assert not private.is_open(at)
    if day.weekday() < 5:
        assert not pro.is_open(at)
    assert private.is_closed_day(day)


def test_holiday_pushes_due_time_over_the_long_weekend(pro, paris):
    # Thursday 30 April 2026, then Friday 1 May (holiday) and the weekend.
    due = pro.add_business_time(paris(2026, 4, 30, 17, 30), timedelta(hours=1))
    assert due == paris(2026, 5, 4, 9, 30)


def test_holidays_can_be_disabled(paris):
    week = {d: [TimeBlock(time(9), time(18))] for d in range(5)}
    no_holidays = BusinessCalendar("Europe/Paris", week, None)
    assert no_holidays.is_open(paris(2026, 7, 14, 11))
    assert not BusinessCalendar("Europe/Paris", week).is_open(paris(2026, 7, 14, 11))


def test_extra_closed_days(paris):
    week = {d: [TimeBlock(time(9), time(18))] for d in range(5)}
    cal = BusinessCalendar("Europe/Paris", week, "FR", frozenset({date(2026, 12, 24)}))
    assert not cal.is_open(paris(2026, 12, 24, 10))
    assert cal.is_open(paris(2026, 12, 23, 10))
    # 24 closed, 25 public holiday, then the weekend.
    due = cal.add_business_time(paris(2026, 12, 23, 17), timedelta(hours=2))
    assert due == paris(2026, 12, 28, 10)


def test_lunch_gap(lunch, paris):
    assert lunch.is_open(paris(2026, 3, 4, 12, 29))
    assert not lunch.is_open(paris(2026, 3, 4, 12, 30))
    assert not lunch.is_open(paris(2026, 3, 4, 13))
    assert lunch.is_open(paris(2026, 3, 4, 13, 30))
    assert lunch.next_open(paris(2026, 3, 4, 12, 45)) == paris(2026, 3, 4, 13, 30)
    assert lunch.add_business_time(paris(2026, 3, 4, 12), timedelta(hours=1)) == paris(
        2026, 3, 4, 14
    )
    assert lunch.business_time_between(paris(2026, 3, 4, 12), paris(2026, 3, 4, 14)) == (
        timedelta(hours=1)
    )
    # A full day is 8 hours of open time, not 9.
    assert lunch.business_time_between(paris(2026, 3, 4), paris(2026, 3, 5)) == timedelta(hours=8)


def test_touching_blocks_count_once(paris):
    blocks = [TimeBlock(time(9), time(12)), TimeBlock(time(12), time(18))]
    cal = BusinessCalendar("Europe/Paris", {0: blocks}, None)
    assert cal.is_open(paris(2026, 3, 2, 12))
    assert cal.business_time_between(paris(2026, 3, 2), paris(2026, 3, 3)) == timedelta(hours=9)


def test_block_until_midnight_joins_next_day(paris):
    cal = BusinessCalendar(
        "Europe/Paris",
        {0: [TimeBlock(time(20), time(0))], 1: [TimeBlock(time(0), time(2))]},
        None,
    )
    assert cal.is_open(paris(2026, 3, 2, 23, 59))
    assert cal.is_open(paris(2026, 3, 3, 0))
    assert cal.add_business_time(paris(2026, 3, 2, 23), timedelta(hours=2)) == paris(2026, 3, 3, 1)


def test_start_outside_hours_starts_at_next_opening(pro, paris):
    assert pro.add_business_time(paris(2026, 3, 4, 7), timedelta(minutes=30)) == paris(
        2026, 3, 4, 9, 30
    )
    assert pro.add_business_time(paris(2026, 3, 4, 19), timedelta(minutes=30)) == paris(
        2026, 3, 5, 9, 30
    )


def test_duration_ending_at_closing_time_returns_closing_time(pro, paris):
    assert pro.add_business_time(paris(2026, 3, 6, 17), timedelta(hours=1)) == paris(2026, 3, 6, 18)


def test_zero_duration_is_next_opening(pro, paris):
    assert pro.add_business_time(paris(2026, 3, 4, 10), timedelta(0)) == paris(2026, 3, 4, 10)
    assert pro.add_business_time(paris(2026, 3, 7, 10), timedelta(0)) == paris(2026, 3, 9, 9)


def test_negative_duration_rejected(pro, paris):
    with pytest.raises(ValueError, match="negative"):
        pro.add_business_time(paris(2026, 3, 4, 10), timedelta(minutes=-1))


def test_next_open_when_open_is_now(pro, paris, utc):
    assert pro.next_open(paris(2026, 3, 4, 10, 17)) == utc(2026, 3, 4, 9, 17)
    assert pro.next_open(paris(2026, 3, 6, 18)) == paris(2026, 3, 9, 9)


def test_business_time_between(pro, paris):
    # Friday 17:00 to Monday 10:00: one hour on Friday, one on Monday.
    a, b = paris(2026, 3, 6, 17), paris(2026, 3, 9, 10)
    assert pro.business_time_between(a, b) == timedelta(hours=2)
    assert pro.business_time_between(b, a) == -timedelta(hours=2)
    assert pro.business_time_between(a, a) == timedelta(0)
    assert pro.business_time_between(paris(2026, 3, 7, 10), paris(2026, 3, 8, 10)) == timedelta(0)


def test_thirty_days_of_business_time_walks_days_not_minutes(pro, paris, monkeypatch):
    calls = 0
    original = BusinessCalendar._day_intervals

    def counting(self, day):
        nonlocal calls
        calls += 1
        return original(self, day)

    monkeypatch.setattr(BusinessCalendar, "_day_intervals", counting)
    start = paris(2026, 1, 5, 9)
    due = pro.add_business_time(start, timedelta(days=30))
    # 720 h at 9 h a day is 80 working days: roughly 16 weeks of calendar time.
    assert paris(2026, 4, 20) < due < paris(2026, 5, 15)
    assert calls < 200
    calls = 0
    assert pro.business_time_between(start, due) == timedelta(days=30)
    assert calls < 200


def test_calendar_without_open_hours_is_refused():
    with pytest.raises(NoOpenHoursError, match="no open hours"):
        BusinessCalendar("Europe/Paris", {})
    with pytest.raises(ValueError, match="no open hours"):
        BusinessCalendar("Europe/Paris", {d: [] for d in range(7)})


def test_search_is_bounded_when_every_open_day_is_closed(paris):
    start = date(2026, 1, 1)
    closed = frozenset(start + timedelta(days=i) for i in range(MAX_CLOSED_DAYS + 30))
    cal = BusinessCalendar("Europe/Paris", {0: [TimeBlock(time(9), time(10))]}, None, closed)
    with pytest.raises(NoOpenHoursError, match="not open"):
        cal.add_business_time(paris(2026, 1, 1), timedelta(minutes=1))
    with pytest.raises(NoOpenHoursError):
        cal.next_open(paris(2026, 1, 1))
    # Bounded queries over a closed range answer without raising.
    assert not cal.is_open(paris(2026, 1, 5, 9, 30))
    assert cal.business_time_between(paris(2026, 1, 1), paris(2026, 6, 1)) == timedelta(0)


def test_long_closure_shorter_than_the_bound_is_crossed(paris):
    closed = frozenset(date(2026, 1, 1) + timedelta(days=i) for i in range(300))
    cal = BusinessCalendar("Europe/Paris", {0: [TimeBlock(time(9), time(10))]}, None, closed)
    assert cal.next_open(paris(2026, 1, 1)) == paris(2026, 11, 2, 9)


@pytest.mark.parametrize(
    "method, args",
    [
        ("is_open", (datetime(2026, 3, 4, 10),)),
        ("next_open", (datetime(2026, 3, 4, 10),)),
        ("add_business_time", (datetime(2026, 3, 4, 10), timedelta(hours=1))),
        ("business_time_between", (datetime(2026, 3, 4, 10), datetime(2026, 3, 5, tzinfo=UTC))),
        ("business_time_between", (datetime(2026, 3, 4, tzinfo=UTC), datetime(2026, 3, 5))),
    ],
)
def test_naive_datetimes_rejected(pro, method, args):
    with pytest.raises(ValueError, match="timezone-aware"):
        getattr(pro, method)(*args)


@pytest.mark.parametrize(
    "start, end, message",
    [
        (time(18), time(9), "must be after"),
        (time(9), time(9), "must be after"),
        (time(9, tzinfo=UTC), time(18), "naive"),
        ("09:00", time(18), "datetime.time"),
    ],
)
def test_bad_time_blocks(start, end, message):
    with pytest.raises(ValueError, match=message):
        TimeBlock(start, end)


def test_overlapping_blocks_rejected():
    with pytest.raises(ValueError, match="overlapping blocks on tue: 09:00-12:30 and 12:00-18:00"):
        BusinessCalendar(
            "Europe/Paris", {1: [TimeBlock(time(12), time(18)), TimeBlock(time(9), time(12, 30))]}
        )


@pytest.mark.parametrize("zone", ["Europe/Pariss", "", "Mars/Olympus_Mons", "../etc"])
def test_unknown_time_zone_rejected(zone):
    with pytest.raises(ValueError, match=r"time ?zone"):
        BusinessCalendar(zone, {0: [TimeBlock(time(9), time(18))]})


def test_unknown_holiday_country_rejected():
    with pytest.raises(ValueError, match="unknown holidays country 'XX'"):
        BusinessCalendar("Europe/Paris", {0: [TimeBlock(time(9), time(18))]}, "XX")


@pytest.mark.parametrize("key", [7, -1, "mon", True])
def test_bad_week_keys_rejected(key):
    with pytest.raises(ValueError, match="week keys"):
        BusinessCalendar("Europe/Paris", {key: [TimeBlock(time(9), time(18))]})


def test_holidays_are_computed_once_per_year(pro, paris, monkeypatch):
    cal = BusinessCalendar("Europe/Paris", pro.week, "FR")
    calls = []
    original = sla_calendar.holidays.country_holidays

    def counting(*args, **kwargs):
        calls.append(kwargs.get("years"))
        return original(*args, **kwargs)

    monkeypatch.setattr(sla_calendar.holidays, "country_holidays", counting)
    cal.add_business_time(paris(2026, 1, 5, 9), timedelta(days=30))
    cal.business_time_between(paris(2026, 1, 5), paris(2026, 12, 31))
    assert calls == [2026]
    cal.business_time_between(paris(2026, 12, 20), paris(2027, 1, 10))
    cal.add_business_time(paris(2026, 12, 20), timedelta(days=3))
    assert sorted(calls) == [2026, 2027]


def test_default_calendars():
    pro, private = default_calendar("professional"), default_calendar("private")
    assert pro.timezone == private.timezone == "Europe/Paris"
    assert pro.holidays_country == private.holidays_country == "FR"
    assert [bool(pro.week[d]) for d in range(7)] == [True] * 5 + [False] * 2
    assert [bool(private.week[d]) for d in range(7)] == [True] * 6 + [False]
    assert pro.week[0] == [TimeBlock(time(9), time(18))]
    assert private.week[5] == [TimeBlock(time(9), time(19))]
    with pytest.raises(ValueError, match="unknown segment 'vip'"):
        default_calendar("vip")


def test_calendar_is_immutable_from_outside(pro):
    week = pro.week
    week[6] = [TimeBlock(time(9), time(10))]
    assert pro.week[6] == []
    assert pro == default_calendar("professional")
