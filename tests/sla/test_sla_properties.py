"""Property-style checks with a seeded random generator (no hypothesis dependency).

add_business_time and business_time_between must agree for any start and duration,
including starts on closed days, holidays and across DST changes.
"""

import random
from datetime import UTC, datetime, timedelta

import pytest

SEED = 20260329
CASES = 400
SPAN_START = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_MINUTES = 4 * 366 * 24 * 60


def _random_instant(rng: random.Random) -> datetime:
    # Whole minutes mostly, with some odd seconds so nothing relies on round values.
    return SPAN_START + timedelta(minutes=rng.randrange(SPAN_MINUTES), seconds=rng.choice([0, 7]))


def _random_duration(rng: random.Random) -> timedelta:
    scale = rng.choice([60, 8 * 60, 5 * 24 * 60, 30 * 24 * 60])  # minutes
    return timedelta(minutes=rng.randrange(scale + 1))


@pytest.mark.parametrize("name", ["pro", "private", "lunch", "night"])
def test_between_inverts_add(request, name):
    cal = request.getfixturevalue(name)
    rng = random.Random(SEED)
    for _ in range(CASES):
        start, duration = _random_instant(rng), _random_duration(rng)
        due = cal.add_business_time(start, duration)
        assert due >= start
        assert cal.business_time_between(start, due) == duration, (start, duration, due)
        if duration:
            # The due time is the earliest instant with that much open time behind it.
            assert cal.business_time_between(start, due - timedelta(seconds=1)) < duration
            assert cal.is_open(due - timedelta(seconds=1))


@pytest.mark.parametrize("name", ["pro", "private", "lunch", "night"])
def test_add_inverts_between(request, name):
    cal = request.getfixturevalue(name)
    rng = random.Random(SEED + 1)
    for _ in range(CASES):
        a = _random_instant(rng)
        b = a + _random_duration(rng)
        elapsed = cal.business_time_between(a, b)
        assert timedelta(0) <= elapsed <= b - a
        assert cal.business_time_between(b, a) == -elapsed
        reached = cal.add_business_time(a, elapsed)
        if cal.is_open(b):
            assert reached == b, (a, b, elapsed, reached)
        elif elapsed:
            # b is closed: the open time runs out at the last closing before it.
            assert reached <= b
            assert not cal.is_open(reached)
        else:
            # Nothing open in between: zero duration means "at the next opening".
            assert reached == cal.next_open(a) >= b


@pytest.mark.parametrize("name", ["pro", "private", "lunch", "night"])
def test_between_is_additive(request, name):
    cal = request.getfixturevalue(name)
    rng = random.Random(SEED + 2)
    for _ in range(CASES // 2):
        a, b, c = sorted(_random_instant(rng) for _ in range(3))
        b = min(b, a + timedelta(days=60))
        c = min(c, b + timedelta(days=60))
        assert cal.business_time_between(a, c) == (
            cal.business_time_between(a, b) + cal.business_time_between(b, c)
        )


@pytest.mark.parametrize("name", ["pro", "private", "lunch", "night"])
def test_next_open_is_open_and_nothing_opens_before_it(request, name):
    cal = request.getfixturevalue(name)
    rng = random.Random(SEED + 3)
    for _ in range(CASES):
        at = _random_instant(rng)
        opened = cal.next_open(at)
        assert opened >= at
        assert cal.is_open(opened)
        assert cal.business_time_between(at, opened) == timedelta(0)
        assert cal.is_open(at) == (opened == at)


def _starts_and_durations(seed: int, fewest: int):
    """CASES random starts, each with ``fewest`` to 3 random durations."""
    rng = random.Random(seed)
    for _ in range(CASES):
        start = _random_instant(rng)
        yield start, [_random_duration(rng) for _ in range(rng.randint(fewest, 3))]


@pytest.mark.parametrize("name", ["pro", "private", "lunch", "night"])
def test_several_durations_in_one_walk(request, name):
    cal = request.getfixturevalue(name)
    for start, durations in _starts_and_durations(SEED + 2, fewest=0):
        assert cal.add_business_times(start, durations) == \
            [cal.add_business_time(start, d) for d in durations], (start, durations)
    with pytest.raises(ValueError):
        cal.add_business_times(SPAN_START, [timedelta(hours=1), timedelta(hours=-1)])


@pytest.mark.parametrize("name", ["pro", "private", "lunch", "night"])
def test_bisection_gives_the_walks_due_times(request, name):
    # Durations of up to 30 days also reach past a timeline, where the walk takes over.
    cal = request.getfixturevalue(name)
    for start, durations in _starts_and_durations(SEED + 3, fewest=1):
        assert cal.add_business_times(start, durations) == \
            cal._walk(start.astimezone(UTC), durations), (start, durations)


def test_usual_targets_are_found_without_walking(request, monkeypatch):
    cal = request.getfixturevalue("pro")

    def walk(*_args):
        raise AssertionError("walked the opening hours")

    monkeypatch.setattr(type(cal), "_walk", walk)
    rng = random.Random(SEED + 4)
    for _ in range(50):
        start = _random_instant(rng)
        first, resolution = cal.add_business_times(start, [timedelta(hours=1),
                                                           timedelta(hours=24)])
        assert cal.business_time_between(start, first) == timedelta(hours=1)
        assert cal.business_time_between(start, resolution) == timedelta(hours=24)
