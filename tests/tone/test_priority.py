"""Priority: bounded, and monotonic in each input."""

from __future__ import annotations

import math

import pytest

from tone import Analysis, PriorityWeights, UrgencyFlag, priority


def make(polarity=0.0, category="other", flags=()):
    return Analysis(
        language="fr",
        polarity=polarity,
        subjectivity=0.5,
        category=category,
        urgency=tuple(UrgencyFlag(name, (name,)) for name in flags),
        pii=(),
    )


BASE = {"followers": 100, "segment": "private", "waited_seconds": 600.0}


def score(analysis, **overrides):
    return priority(analysis, **(BASE | overrides))


def test_bounds():
    worst = make(-1.0, "fraud", ("safety", "scam", "hacked_account", "abuse"))
    top = priority(worst, followers=10**9, segment="professional", waited_seconds=1e9)
    assert 0.0 <= top <= 100.0
    assert top > 95
    calm = priority(make(0.8, "praise"), followers=None, segment="private", waited_seconds=0)
    assert calm == pytest.approx(0.0)


def test_more_followers_is_higher():
    a = make()
    values = [score(a, followers=f) for f in (None, 10, 1_000, 100_000)]
    assert values == sorted(values) and len(set(values)) == len(values)


def test_more_negative_is_higher():
    values = [score(make(p)) for p in (0.5, 0.0, -0.3, -0.9)]
    assert values[0] == values[1]  # positive sentiment never lowers below neutral
    assert values[1] < values[2] < values[3]


def test_urgent_is_higher_and_more_flags_add():
    none = score(make())
    abuse = score(make(flags=("abuse",)))
    hacked = score(make(flags=("hacked_account",)))
    two = score(make(flags=("scam", "money_blocked")))
    assert none < abuse < hacked
    assert score(make(flags=("scam",))) < two


def test_professional_is_higher():
    a = make(-0.2, "payment")
    assert score(a, segment="professional") > score(a, segment="private")


def test_longer_wait_is_higher():
    a = make()
    values = [score(a, waited_seconds=w) for w in (0, 60, 3600, 86_400)]
    assert values == sorted(values) and len(set(values)) == len(values)


def test_category_weights():
    assert score(make(category="fraud")) > score(make(category="listing"))
    assert score(make(category="listing")) > score(make(category="praise"))


def test_weights_override_from_dict():
    weights = PriorityWeights.from_dict({"segment": 40, "flag_weights": {"abuse": 1.0}})
    assert weights.segment == 40
    assert weights.flag_weight("abuse") == 1.0
    assert weights.flag_weight("scam") == 0.9  # untouched defaults stay
    a = make()
    assert priority(a, followers=0, segment="professional", waited_seconds=0, weights=weights) == (
        pytest.approx(40 + 15 * 0.2)
    )
    with pytest.raises(ValueError):
        PriorityWeights.from_dict({"segmnet": 3})


def test_bad_numbers_do_not_break():
    a = make()
    assert math.isfinite(priority(a, followers=-5, segment="x", waited_seconds=-10))
    assert priority(a, followers=0, segment="x", waited_seconds=math.inf) <= 100
