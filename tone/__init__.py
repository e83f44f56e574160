"""Tone analysis for Care Console: language, sentiment, category, urgency, personal data.

Pure Python, no web framework or database: text in, frozen dataclasses out.

    >>> from tone import get_analyzer, priority
    >>> a = get_analyzer().analyse("@leboncoin mon compte a été piraté !!")
    >>> a.category, [f.name for f in a.urgency]
    ('account', ['hacked_account'])
"""

from typing import TYPE_CHECKING, Any

from tone.config import PriorityWeights, ToneConfig
from tone.priority import priority
from tone.types import CATEGORIES, PII_KINDS, URGENCY_FLAGS, Analysis, PiiSpan, UrgencyFlag

if TYPE_CHECKING:
    from tone.analyzer import Analyzer, get_analyzer


def __getattr__(name: str) -> Any:
    # The analyzer pulls in TextBlob, NLTK (and SciPy through it), lingua and the classifier:
    # about 200 MB. A web process that only reads the category and flag names (forms, the
    # inbox filters) must not pay for it, so it is imported on first use (PEP 562).
    if name in ("Analyzer", "get_analyzer"):
        from tone import analyzer

        return getattr(analyzer, name)
    raise AttributeError(f"module 'tone' has no attribute {name!r}")


__all__ = [
    "CATEGORIES",
    "PII_KINDS",
    "URGENCY_FLAGS",
    "Analysis",
    "Analyzer",
    "PiiSpan",
    "PriorityWeights",
    "ToneConfig",
    "UrgencyFlag",
    "get_analyzer",
    "priority",
]
