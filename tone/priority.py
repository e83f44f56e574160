"""The 0..100 priority score used to sort the inbox."""

from __future__ import annotations

import math

from tone.config import PriorityWeights
from tone.types import Analysis


def priority(
    analysis: Analysis,
    *,
    followers: int | None,
    segment: str,
    waited_seconds: float,
    weights: PriorityWeights | None = None,
) -> float:
    """Combine urgency, sentiment, category, reach, segment and wait into 0..100.

    Higher means answer sooner. Each component rises monotonically with its input (more
    flags, more negative, more followers, professional segment, longer wait); see
    :class:`tone.PriorityWeights` for the formula and the default weights.
    """
    w = weights or PriorityWeights()

    urgency = 0.0
    if analysis.urgency:
        strengths = sorted((w.flag_weight(f.name) for f in analysis.urgency), reverse=True)
        urgency = min(1.0, strengths[0] + w.extra_flag_bonus * (len(strengths) - 1))

    negativity = max(0.0, -float(analysis.polarity))
    category = w.category_weight(analysis.category)

    reach = 0.0
    if followers and followers > 0:
        cap = math.log10(1 + max(1, w.reach_saturation_followers))
        reach = min(1.0, math.log10(1 + followers) / cap)

    professional = 1.0 if segment in w.professional_segments else 0.0

    waited = max(0.0, float(waited_seconds or 0.0))
    if not math.isfinite(waited):
        waited_part = 1.0
    else:
        half = max(1e-9, w.wait_half_life_seconds)
        waited_part = waited / (waited + half)

    total = (
        w.urgency * urgency
        + w.negativity * min(1.0, negativity)
        + w.category * category
        + w.reach * reach
        + w.segment * professional
        + w.wait * waited_part
    )
    total = max(0.0, min(100.0, total))
    if "safety" in analysis.urgency_names and 0.0 < w.safety_floor < 100.0:
        total = w.safety_floor + (100.0 - w.safety_floor) * total / 100.0
    return total
