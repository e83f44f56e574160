"""Daylight-saving changes in Europe/Paris: blocks are wall-clock, results exact in UTC.

2026: clocks go forward on Sunday 29 March (02:00 CET -> 03:00 CEST, 01:00 UTC) and back on
Sunday 25 October (03:00 CEST -> 02:00 CET, 01:00 UTC).
"""

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.sla.calendar import BusinessCalendar, TimeBlock


def test_professional_over_spring_forward_weekend(pro, utc):
    # Friday 27 March 17:30 CET is 16:30 UTC; Monday 30 March 09:30 CEST is 07:30 UTC.
    due = pro.add_business_time(utc(2026, 3, 27, 16, 30), timedelta(hours=1))
    assert due == utc(2026, 3, 30, 7, 30)


def test_professional_over_fall_back_weekend(pro, utc):
    # Friday 23 October 17:30 CEST is 15:30 UTC; Monday 26 October 09:30 CET is 08:30 UTC.
    due = pro.add_business_time(utc(2026, 10, 23, 15, 30), timedelta(hours=1))
    assert due == utc(2026, 10, 26, 8, 30)


def test_private_saturday_before_spring_forward(private, utc):
    # Saturday 28 March 18:30 CET (17:30 UTC): 30 min left that day, Sunday closed.
    due = private.add_business_time(utc(2026, 3, 28, 17, 30), timedelta(hours=1))
    assert due == utc(2026, 3, 30, 7, 30)


def test_opening_hours_shift_in_utc_across_the_change(pro, utc):
    assert pro.next_open(utc(2026, 3, 27, 20)) == utc(2026, 3, 30, 7)  # 09:00 CEST
    assert pro.next_open(utc(2026, 3, 26, 20)) == utc(2026, 3, 27, 8)  # 09:00 CET
    assert pro.next_open(utc(2026, 10, 23, 20)) == utc(2026, 10, 26, 8)  # 09:00 CET
    assert pro.next_open(utc(2026, 10, 22, 20)) == utc(2026, 10, 23, 7)  # 09:00 CEST


def test_weekend_straddling_business_time_is_exact(pro, utc):
    # Friday 17:00 CET (16:00 UTC) to Monday 10:00 CEST (08:00 UTC): 1 h + 1 h of open time
    # although the wall-clock span lost an hour.
    assert pro.business_time_between(utc(2026, 3, 27, 16), utc(2026, 3, 30, 8)) == timedelta(
        hours=2
    )


def test_night_block_is_one_hour_shorter_in_spring_and_longer_in_autumn(night, paris):
    # 00:00-06:00 wall clock: 5 real hours on 29 March, 7 on 25 October, 6 otherwise.
    assert night.business_time_between(paris(2026, 3, 29), paris(2026, 3, 29, 12)) == timedelta(
        hours=5
    )
    assert night.business_time_between(paris(2026, 10, 25), paris(2026, 10, 25, 12)) == (
        timedelta(hours=7)
    )
    assert night.business_time_between(paris(2026, 3, 22), paris(2026, 3, 22, 12)) == timedelta(
        hours=6
    )


def test_night_block_due_times_across_the_change(night, utc):
    # 29 March opens at 23:00 UTC on the 28th and closes at 06:00 CEST = 04:00 UTC.
    assert night.add_business_time(utc(2026, 3, 28, 23), timedelta(hours=5)) == utc(2026, 3, 29, 4)
    assert night.add_business_time(utc(2026, 3, 28, 23), timedelta(hours=5, minutes=1)) == utc(
        2026, 3, 29, 22, 1
    )
    # 25 October opens at 22:00 UTC on the 24th and closes at 06:00 CET = 05:00 UTC.
    assert night.add_business_time(utc(2026, 10, 24, 22), timedelta(hours=7)) == utc(
        2026, 10, 25, 5
    )


def test_block_inside_the_spring_gap_never_opens(utc, paris):
    cal = BusinessCalendar("Europe/Paris", {6: [TimeBlock(time(2, 15), time(2, 45))]}, None)
    assert cal.business_time_between(paris(2026, 3, 29), paris(2026, 3, 30)) == timedelta(0)
    assert cal.business_time_between(paris(2026, 3, 22), paris(2026, 3, 23)) == timedelta(
        minutes=30
    )
    # The next opening after the missing one is the following Sunday, 02:15 CEST.
    assert cal.next_open(paris(2026, 3, 28)) == utc(2026, 4, 5, 0, 15)


def test_block_starting_in_the_gap_opens_at_the_change(utc):
    cal = BusinessCalendar("Europe/Paris", {6: [TimeBlock(time(2, 30), time(4))]}, None)
    # 02:30 does not exist on 29 March: the block opens at 03:00 CEST (01:00 UTC).
    assert cal.next_open(utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 1)
    assert cal.business_time_between(utc(2026, 3, 28), utc(2026, 3, 30)) == timedelta(hours=1)


def test_block_in_the_autumn_fold_runs_until_its_end_is_last_shown(utc):
    # 02:00-02:30 happens twice on 25 October: opens at the first 02:00 (00:00 UTC), closes at
    # the second 02:30 (01:30 UTC).
    cal = BusinessCalendar("Europe/Paris", {6: [TimeBlock(time(2), time(2, 30))]}, None)
    assert cal.next_open(utc(2026, 10, 24, 12)) == utc(2026, 10, 25, 0)
    assert cal.is_open(utc(2026, 10, 25, 1, 29))
    assert not cal.is_open(utc(2026, 10, 25, 1, 30))
    assert cal.business_time_between(utc(2026, 10, 24), utc(2026, 10, 26)) == timedelta(minutes=90)


def test_blocks_meeting_in_the_fold_are_not_counted_twice(utc):
    cal = BusinessCalendar(
        "Europe/Paris",
        {6: [TimeBlock(time(1), time(2, 30)), TimeBlock(time(2, 30), time(4))]},
        None,
    )
    # 01:00 CEST (23:00 UTC on the 24th) to 04:00 CET (03:00 UTC): 4 real hours.
    assert cal.business_time_between(utc(2026, 10, 24), utc(2026, 10, 26)) == timedelta(hours=4)


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Sydney", "UTC"])
def test_other_zones_keep_wall_clock_hours(zone, utc):
    cal = BusinessCalendar(zone, {d: [TimeBlock(time(9), time(17))] for d in range(7)}, None)
    for day in range(1, 366, 17):
        at = utc(2026, 1, 1) + timedelta(days=day)
        opened = cal.next_open(at)
        local = opened.astimezone(ZoneInfo(zone))
        assert (local.hour, local.minute) == (9, 0) or cal.is_open(at)


@pytest.mark.parametrize(
    "zone", ["Europe/Paris", "Asia/Beirut", "America/Santiago", "America/Havana", "UTC"]
)
def test_always_open_calendar_counts_real_time(zone, utc):
    # Havana falls back from 01:00 to 00:00 (1 November 2026), so one day's 24:00 (read at its
    # last occurrence) and the next day's 00:00 (first occurrence) overlap by an hour in UTC:
    # that hour must be counted once. Beirut and Santiago change at midnight too.
    always = BusinessCalendar(zone, {d: [TimeBlock(time(0), time(0))] for d in range(7)}, None)
    for month in (3, 4, 9, 10, 11):
        a, b = utc(2026, month, 1), utc(2026, month + 1, 1)
        assert always.business_time_between(a, b) == b - a
        assert always.add_business_time(a, b - a) == b
        assert always.is_open(a)


def test_block_ending_at_a_repeated_midnight_stays_open_until_the_second_one(utc):
    # Havana, 1 November 2026: 01:00 CDT -> 00:00 CST, so 00:00-01:00 happens twice. Saturday's
    # block 20:00-24:00 closes at the second midnight (05:00 UTC), although at 04:30 UTC the
    # local date already reads Sunday, a closed day.
    cal = BusinessCalendar("America/Havana", {5: [TimeBlock(time(20), time(0))]}, None)
    assert cal.is_open(utc(2026, 11, 1, 4, 30))
    assert not cal.is_open(utc(2026, 11, 1, 5))
    assert cal.business_time_between(utc(2026, 10, 31), utc(2026, 11, 2)) == timedelta(hours=5)
