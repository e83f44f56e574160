"""Tone analysis for Care Console: language, sentiment, category, urgency, personal data.

Pure Python, no web framework or database: text in, frozen dataclasses out.

    >>> from tone import get_analyzer, priority
    >>> a = get_analyzer().analyse("@leboncoin mon compte a été piraté !!")
    >>> a.category, [f.name for f in a.urgency]
    ('account', ['hacked_account'])
"""

from tone.analyzer import Analyzer, get_analyzer
from tone.config import PriorityWeights, ToneConfig
from tone.priority import priority
from tone.types import CATEGORIES, PII_KINDS, URGENCY_FLAGS, Analysis, PiiSpan, UrgencyFlag

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
