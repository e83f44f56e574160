"""The committee's arithmetic against hand-computed values and published examples."""

from __future__ import annotations

import math

import pytest

from app.review import stats
from app.review.stats import Criterion, ScoreError

N = None
RUBRIC = [
    Criterion("courtesy", 2.0, 4),
    Criterion("accuracy", 2.0, 4),
    Criterion("humour", 1.0, 3, na_allowed=True),
    Criterion("personal_data", 1.0, 2, critical=True),
    Criterion("form", 1.0, 3),
]


def test_criterion_score_is_position_on_the_scale() -> None:
    assert stats.criterion_score(Criterion("a", 1, 4), 1) == 0.0
    assert stats.criterion_score(Criterion("a", 1, 4), 3) == pytest.approx(2 / 3)
    assert stats.criterion_score(Criterion("a", 1, 5), 4) == 0.75
    assert stats.criterion_score(Criterion("a", 1, 3), 2) == 0.5
    assert stats.criterion_score(Criterion("a", 1, 2), 1) == 1.0
    assert stats.criterion_score(Criterion("a", 1, 2), 0) == 0.0


def test_values_outside_the_scale_and_na_are_checked() -> None:
    with pytest.raises(ScoreError) as info:
        stats.check_value(Criterion("a", 1, 4), 5)
    assert info.value.code == "out_of_scale"
    with pytest.raises(ScoreError):
        stats.check_value(Criterion("a", 1, 2), 2)
    with pytest.raises(ScoreError) as info:
        stats.check_value(Criterion("a", 1, 4), None)
    assert info.value.code == "na_not_allowed"
    stats.check_value(Criterion("a", 1, 4, na_allowed=True), None)
    with pytest.raises(ScoreError):
        stats.check_value(Criterion("a", 1, 4), True)  # type: ignore[arg-type]


def test_reply_score_weighted_mean_without_na() -> None:
    # courtesy 4 -> 1, accuracy 3 -> 2/3, humour N/A, personal data yes -> 1, form 2 -> 0.5
    values = {"courtesy": 4, "accuracy": 3, "humour": N, "personal_data": 1, "form": 2}
    expected = (2 * 1 + 2 * (2 / 3) + 1 * 1 + 1 * 0.5) / (2 + 2 + 1 + 1)
    assert stats.reply_score(RUBRIC, values) == pytest.approx(expected)
    assert stats.is_complete(RUBRIC, values)


def test_na_counts_when_given_a_value() -> None:
    values = {"courtesy": 4, "accuracy": 3, "humour": 1, "personal_data": 1, "form": 2}
    expected = (2 * 1 + 2 * (2 / 3) + 0 + 1 + 0.5) / 7
    assert stats.reply_score(RUBRIC, values) == pytest.approx(expected)


def test_critical_below_half_sets_zero() -> None:
    values = {"courtesy": 4, "accuracy": 4, "humour": 3, "personal_data": 0, "form": 3}
    assert stats.reply_score(RUBRIC, values) == 0.0
    # A critical criterion exactly at half does not zero the reply.
    rubric = [Criterion("a", 1, 3, critical=True), Criterion("b", 1, 3)]
    assert stats.reply_score(rubric, {"a": 2, "b": 3}) == pytest.approx(0.75)


def test_nothing_scored_is_no_score() -> None:
    assert stats.reply_score(RUBRIC, {}) is None
    assert stats.reply_score([Criterion("h", 1, 3, na_allowed=True)], {"h": None}) is None
    assert not stats.is_complete(RUBRIC, {"courtesy": 4})


def test_student_t_quantiles_match_the_tables() -> None:
    # Two-sided 90% critical values, from any t table.
    for df, value in ((1, 6.314), (2, 2.920), (4, 2.132), (9, 1.833), (29, 1.699),
                      (120, 1.658)):
        assert stats.student_t_quantile(0.95, df) == pytest.approx(value, abs=5e-4)
    assert stats.student_t_quantile(0.05, 9) == pytest.approx(-1.833, abs=5e-4)


def test_mean_interval_by_hand() -> None:
    values = [0.5, 0.7, 0.9, 0.6, 0.8]
    # mean 0.7, s = sqrt(0.025) = 0.1581, se = 0.07071, t(0.95, 4) = 2.1318
    interval = stats.mean_interval(values, 0.90)
    assert interval is not None
    assert interval.mean == pytest.approx(0.7)
    half = 2.131847 * math.sqrt(0.025 / 5)
    assert interval.low == pytest.approx(0.7 - half, abs=1e-5)
    assert interval.high == pytest.approx(0.7 + half, abs=1e-5)
    assert stats.mean_interval([], 0.9) is None
    single = stats.mean_interval([0.4])
    assert single is not None and single.low is None and single.n == 1


def test_interval_is_clipped_to_the_score_range() -> None:
    interval = stats.mean_interval([1.0, 1.0, 0.2])
    assert interval is not None and interval.high == 1.0 and interval.low is not None
    assert interval.low >= 0.0


# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
# observers, twelve units, missing values. Published: nominal .743, ordinal .815,
# interval .849.
KRIPPENDORFF_2011 = list(zip(
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N], strict=True))


@pytest.mark.parametrize(("level", "published"), [("nominal", 0.743), ("ordinal", 0.815),
                                                   ("interval", 0.849)])
def test_alpha_matches_the_published_worked_example(level: str, published: float) -> None:
    alpha = stats.krippendorff_alpha(KRIPPENDORFF_2011, level)
    assert alpha is not None and round(alpha, 3) == published


def test_alpha_wikipedia_example() -> None:
    # Wikipedia's computational example (3 coders, 15 units): nominal 0.691, interval 0.811.
    coders = [[N, N, N, N, N, 3, 4, 1, 2, 1, 1, 3, 3, N, 3],
              [1, N, 2, 1, 3, 3, 4, 3, N, N, N, N, N, N, N],
              [N, N, 2, 1, 3, 4, 4, N, 2, 1, 1, 3, 3, N, 4]]
    units = list(zip(*coders, strict=True))
    assert round(stats.krippendorff_alpha(units, "nominal") or 0, 3) == 0.691
    assert round(stats.krippendorff_alpha(units, "interval") or 0, 3) == 0.811


def test_alpha_by_hand_small_case() -> None:
    # Two raters, three units: (1,1), (2,2), (1,2). Pairable values n = 6; marginals
    # n1 = 3, n2 = 3. Observed o12 = o21 = 1. Ordinal delta(1,2) = (3+3 - (3+3)/2)^2 = 9.
    # alpha = 1 - (n-1) * sum(o*d) / sum(nc*nk*d) = 1 - 5 * 2*9 / (2*3*3*9) = 1 - 90/162.
    units = [(1, 1), (2, 2), (1, 2)]
    assert stats.krippendorff_alpha(units, "ordinal") == pytest.approx(1 - 90 / 162)
    assert stats.krippendorff_alpha([(1, 1), (2, 2), (3, 3)], "ordinal") == 1.0
    assert stats.krippendorff_alpha([(2, 2), (2, 2)], "ordinal") is None  # no variation
    assert stats.krippendorff_alpha([(1, N), (N, 2)], "ordinal") is None  # nothing pairable
    assert stats.pairable_raters([(1, N, 2), (N, N, 3)]) == 2


def test_ordinal_alpha_ignores_unused_scale_points() -> None:
    # Ordinal distances depend on the values used, not on empty points of the scale.
    a = [(1, 1), (3, 3), (1, 3), (3, 3)]
    b = [(1, 1), (5, 5), (1, 5), (5, 5)]
    assert stats.krippendorff_alpha(a) == pytest.approx(stats.krippendorff_alpha(b))
