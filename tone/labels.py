"""The sentiment label shown to agents: negative, neutral or positive.

TextBlob's polarity reads words, not situations: "Refund refused... I will go to the
DGCCRF" scores +0.16. The label therefore starts from what the triage knows: anything
urgent is negative; praise is positive; a complaint category is negative unless the message
is a plain question; only small talk and questions ("other") are read from polarity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SENTIMENT_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
COMPLAINT_CATEGORIES = frozenset(
    {"account", "listing", "payment", "dispute", "delivery", "technical", "fraud"}
)
POSITIVE_POLARITY = 0.25
NEGATIVE_POLARITY = -0.2
# A plain question: a "?" and no sign of trouble (exclamation, "still", "never"...).
_TROUBLE_RE = re.compile(
    r"!|\b(?:toujours pas|jamais|encore|toujours rien|rien re[cç]u|pas re[cç]u|impossible|"
    r"bloqu|refus|perdu|cass|still|never|again|nothing|won'?t|can'?t|cannot|refus|lost|"
    r"broken|missing|manque|plus de|no longer|anymore|bug|plante|crash|panne|down)\b",
    re.IGNORECASE,
)


def is_plain_question(text: str) -> bool:
    """A short question that carries no complaint ("Vous livrez en Corse ?")."""
    return "?" in text and len(text) <= 200 and _TROUBLE_RE.search(text) is None


def sentiment_label(polarity: float | None, category: str | None,
                    urgency: Iterable[str] = (), text: str = "") -> str:
    """Negative / neutral / positive from the category, the urgency flags and polarity."""
    p = float(polarity or 0.0)
    if any(True for _ in urgency):
        return "negative"
    if category == "praise":
        return "positive"
    if category in COMPLAINT_CATEGORIES:
        if is_plain_question(text) and p > NEGATIVE_POLARITY:
            return "neutral"
        return "negative"
    if p >= POSITIVE_POLARITY:
        return "positive"
    if p <= NEGATIVE_POLARITY:
        return "negative"
    return "neutral"
