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


def category_scores(matches: Matches) -> dict[str, float]:
    """Sum of the weights of distinct terms matched, per category."""
    return {
        group[4:]: sum(found.values()) for group, found in matches.items() if group[:4] == "cat:"
    }


def _top_two(scores: dict[str, float]) -> tuple[str, str]:
    """The two best categories of TIE_ORDER by score, ties going to the earlier one."""
    ranked = sorted(TIE_ORDER, key=lambda c: (-scores.get(c, 0.0), TIE_ORDER.index(c)))
    return ranked[0], ranked[1]


def categorise(matches: Matches, polarity: float) -> str:
    """Pick the best-scoring category, or "other" when nothing scores enough."""
    scores = category_scores(matches)
    if not scores:
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
    return tuple(
        UrgencyFlag(name, tuple(matches[f"urg:{name}"]))
        for name in URGENCY_FLAGS
        if matches.get(f"urg:{name}")
    )
