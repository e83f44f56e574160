"""Category and urgency rules over the normalised token string."""

from __future__ import annotations

from tone.types import URGENCY_FLAGS, UrgencyFlag

# Ties go to the category that costs most if missed.
TIE_ORDER: tuple[str, ...] = (
    "fraud",
    "account",
    "payment",
    "dispute",
    "delivery",
    "listing",
    "technical",
    "praise",
)
MIN_SCORE = 1.0
# Complaints often open with "merci" or a sarcastic "bravo"; praise must clearly dominate
# and the message must not read as negative.
PRAISE_MARGIN = 1.0
PRAISE_MAX_NEGATIVITY = -0.25


Matches = dict[str, dict[str, float]]
# (flag, its group in the matches), built once rather than an f-string per flag per call.
_URGENCY_GROUPS: tuple[tuple[str, str], ...] = tuple((f, f"urg:{f}") for f in URGENCY_FLAGS)


def category_scores(matches: Matches) -> dict[str, float]:
    """Sum of the weights of distinct terms matched, per category."""
    return {
        group[4:]: sum(found.values()) for group, found in matches.items() if group[:4] == "cat:"
    }


def _top_two(scores: dict[str, float]) -> tuple[str, str]:
    """The first two of TIE_ORDER sorted by (-score, position), without the sort.

    With no NaN the keys are totally ordered: the first is the earliest category with
    the highest score, the second the same among the others. A NaN makes the sort's
    order depend on its comparisons, so then the sort itself decides.
    """
    values = [scores.get(c, 0.0) for c in TIE_ORDER]
    if any(v != v for v in values):
        get = scores.get
        ranked = sorted(TIE_ORDER, key=lambda c: (-get(c, 0.0), TIE_ORDER.index(c)))
        return ranked[0], ranked[1]
    first = values.index(max(values))  # index() finds the earliest equal score
    del values[first]
    second = values.index(max(values))
    return TIE_ORDER[first], TIE_ORDER[second + (second >= first)]


def categorise(matches: Matches, polarity: float) -> str:
    """Pick the best-scoring category, or "other" when nothing scores enough."""
    scores = category_scores(matches)
    if not scores and MIN_SCORE > 0.0:
        # Every category then scores 0.0, too little.
        return "other"
    best, runner_up = _top_two(scores)
    if best == "praise":
        praise_ok = (
            scores.get("praise", 0.0) >= scores.get(runner_up, 0.0) + PRAISE_MARGIN
            and polarity > PRAISE_MAX_NEGATIVITY
        )
        if not praise_ok:
            best = runner_up
    if scores.get(best, 0.0) < MIN_SCORE:
        return "other"
    return best


def urgency_flags(matches: Matches) -> tuple[UrgencyFlag, ...]:
    """All urgency flags whose triggers occur, in canonical order, with their triggers."""
    if not matches:
        return ()
    flags: list[UrgencyFlag] = []
    for name, group in _URGENCY_GROUPS:
        found = matches.get(group)
        if found:
            flags.append(UrgencyFlag(name, tuple(found)))
    return tuple(flags)
