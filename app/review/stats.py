"""The tone committee's arithmetic: rubric scores, confidence intervals, agreement.

Pure functions on plain values; nothing here knows Flask or the database, so each rule can be
checked against hand-computed values.

Scoring conventions (those of the leading conversation-QA products):

* a criterion's score is ``(chosen - lowest) / (highest - lowest)``, in 0..1;
* a reply's score is the weighted mean of its scored criteria; N/A is left out of both the
  numerator and the denominator;
* a critical criterion scored below half sets the reply's score to zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: The scales a criterion may use: binary (no / yes) or 3, 4 or 5 points.
SCALES: tuple[int, ...] = (2, 3, 4, 5)
#: Agreement below this (Krippendorff's alpha) flags a criterion as ambiguous.
ALPHA_ACCEPTABLE = 0.667


class ScoreError(ValueError):
    """A value a criterion cannot take; ``code`` names the rule that was broken."""

    def __init__(self, code: str, criterion: str) -> None:
        super().__init__(f"{code}: {criterion}")
        self.code = code
        self.criterion = criterion


@dataclass(frozen=True)
class Criterion:
    """One rubric criterion as the arithmetic needs it."""

    key: str
    weight: float
    points: int  # 2 = binary (0 or 1); 3, 4, 5 = 1..points
    na_allowed: bool = False
    critical: bool = False

    @property
    def lowest(self) -> int:
        """The lowest value of the scale."""
        return 0 if self.points == 2 else 1

    @property
    def highest(self) -> int:
        """The highest value of the scale."""
        return self.lowest + self.points - 1


def check_value(criterion: Criterion, value: int | None) -> None:
    """Raise ``ScoreError`` unless ``value`` (None = N/A) is allowed for the criterion."""
    if value is None:
        if not criterion.na_allowed:
            raise ScoreError("na_not_allowed", criterion.key)
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScoreError("not_a_number", criterion.key)
    if not criterion.lowest <= value <= criterion.highest:
        raise ScoreError("out_of_scale", criterion.key)


def criterion_score(criterion: Criterion, value: int) -> float:
    """``(chosen - lowest) / (highest - lowest)``: 0 for the lowest value, 1 for the highest."""
    check_value(criterion, value)
    return (value - criterion.lowest) / (criterion.highest - criterion.lowest)


def reply_score(criteria: Sequence[Criterion], values: Mapping[str, int | None]
                ) -> float | None:
    """The weighted mean of the scored criteria, N/A left out; zero when a critical criterion
    scored below half. None when nothing was scored (every criterion N/A or missing)."""
    total = weights = 0.0
    for criterion in criteria:
        if criterion.key not in values or values[criterion.key] is None:
            continue
        score = criterion_score(criterion, values[criterion.key])  # type: ignore[arg-type]
        if criterion.critical and score < 0.5:
            return 0.0
        total += criterion.weight * score
        weights += criterion.weight
    if weights <= 0:
        return None
    return total / weights


def is_complete(criteria: Sequence[Criterion], values: Mapping[str, int | None]) -> bool:
    """Whether every criterion has a value (N/A counts as a value)."""
    return all(c.key in values for c in criteria)


# --- confidence intervals ------------------------------------------------------------------

def _betacf(a: float, b: float, x: float) -> float:
    # Continued fraction of the incomplete beta function (modified Lentz's method).
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 3e-16:
            break
    return h


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b), the regularized incomplete beta function."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def student_t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * regularized_beta(df / (df + t * t), df / 2.0, 0.5)
    return 1.0 - tail if t >= 0 else tail


def student_t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t (bisection on the CDF, to 1e-12)."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError("p must be in (0, 1) and df positive")
    if p < 0.5:
        return -student_t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while student_t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(200):
        mid = (low + high) / 2.0
        if student_t_cdf(mid, df) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12:
            break
    return (low + high) / 2.0


@dataclass(frozen=True)
class MeanInterval:
    """A mean with its confidence interval (None bounds when n < 2)."""

    mean: float
    n: int
    low: float | None
    high: float | None
    confidence: float


def mean_interval(values: Sequence[float], confidence: float = 0.90,
                  bounds: tuple[float, float] = (0.0, 1.0)) -> MeanInterval | None:
    """The mean and its Student-t confidence interval, clipped to ``bounds`` (scores live in
    0..1). None for no values; no interval for a single value."""
    n = len(values)
    if n == 0:
        return None
    mean = math.fsum(values) / n
    if n < 2:
        return MeanInterval(mean, n, None, None, confidence)
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    half = student_t_quantile(0.5 + confidence / 2.0, n - 1) * math.sqrt(variance / n)
    return MeanInterval(mean, n, max(bounds[0], mean - half), min(bounds[1], mean + half),
                        confidence)


# --- Krippendorff's alpha ------------------------------------------------------------------

def _coincidences(units: Iterable[Sequence[float | None]]
                  ) -> tuple[dict[tuple[float, float], float], dict[float, float], float]:
    # o_ck: each ordered pair of values within a unit counts 1 / (m_u - 1), where m_u is the
    # number of values in the unit; units with fewer than two values are not pairable.
    coincidence: dict[tuple[float, float], float] = {}
    for unit in units:
        present = [v for v in unit if v is not None]
        m = len(present)
        if m < 2:
            continue
        for i, c in enumerate(present):
            for j, k in enumerate(present):
                if i != j:
                    coincidence[(c, k)] = coincidence.get((c, k), 0.0) + 1.0 / (m - 1)
    marginals: dict[float, float] = {}
    for (c, _k), count in coincidence.items():
        marginals[c] = marginals.get(c, 0.0) + count
    return coincidence, marginals, math.fsum(marginals.values())


def krippendorff_alpha(units: Sequence[Sequence[float | None]], level: str = "ordinal"
                       ) -> float | None:
    """Krippendorff's alpha for ``units`` (one sequence of raters' values per unit, None for
    a missing value), at the ``nominal``, ``ordinal`` or ``interval`` level.

    None when it is undefined: fewer than two pairable values, or no variation at all in
    the data (every rater gave every unit the same value).
    """
    if level not in ("nominal", "ordinal", "interval"):
        raise ValueError(f"unknown level {level!r}")
    coincidence, marginals, n = _coincidences(units)
    if n < 2:
        return None
    values = sorted(marginals)
    rank = {v: i for i, v in enumerate(values)}

    def delta2(c: float, k: float) -> float:
        if c == k:
            return 0.0
        if level == "nominal":
            return 1.0
        if level == "interval":
            return (c - k) ** 2
        lo, hi = sorted((rank[c], rank[k]))
        between = math.fsum(marginals[values[g]] for g in range(lo, hi + 1))
        return (between - (marginals[values[lo]] + marginals[values[hi]]) / 2.0) ** 2

    observed = math.fsum(count * delta2(c, k) for (c, k), count in coincidence.items())
    expected = math.fsum(marginals[c] * marginals[k] * delta2(c, k)
                         for c in values for k in values)
    if expected == 0:
        return None
    return 1.0 - (n - 1) * observed / expected


def pairable_raters(units: Sequence[Sequence[float | None]]) -> int:
    """How many raters gave at least one value in a pairable unit."""
    raters: set[int] = set()
    for unit in units:
        present = [i for i, v in enumerate(unit) if v is not None]
        if len(present) >= 2:
            raters.update(present)
    return len(raters)


def spread(values: Iterable[float | None]) -> float:
    """The range of the values given (0 when fewer than two): how much raters differ."""
    present = [v for v in values if v is not None]
    return max(present) - min(present) if len(present) >= 2 else 0.0
