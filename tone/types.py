"""Plain, frozen result types returned by the tone analyser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CATEGORIES: tuple[str, ...] = (
    "account",
    "listing",
    "payment",
    "dispute",
    "delivery",
    "technical",
    "fraud",
    "praise",
    "other",
)

URGENCY_FLAGS: tuple[str, ...] = (
    "hacked_account",
    "scam",
    "money_blocked",
    "public_threat",
    "abuse",
    "safety",
)

PII_KINDS: tuple[str, ...] = ("email", "phone", "iban", "card", "order", "tracking", "address")

LANGUAGES: tuple[str, ...] = ("fr", "en", "other")


@dataclass(frozen=True)
class UrgencyFlag:
    """An urgency flag raised on a message, with the words that raised it."""

    name: str
    triggers: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"name": self.name, "triggers": list(self.triggers)}


@dataclass(frozen=True)
class PiiSpan:
    """A piece of personal data found in a text; ``text[start:end] == self.text``."""

    kind: str
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"kind": self.kind, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class Analysis:
    """Everything the analyser says about one message."""

    language: str
    polarity: float
    subjectivity: float
    category: str
    urgency: tuple[UrgencyFlag, ...]
    pii: tuple[PiiSpan, ...]
    # Negative / neutral / positive, from category, urgency and polarity (tone.labels).
    sentiment_label: str = "neutral"
    # The classifier's calibrated probability of the chosen category (1.0 for rules alone).
    category_confidence: float = 1.0

    @property
    def urgency_names(self) -> tuple[str, ...]:
        """Names of the urgency flags raised, in canonical order."""
        return tuple(flag.name for flag in self.urgency)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "language": self.language,
            "polarity": round(self.polarity, 4),
            "subjectivity": round(self.subjectivity, 4),
            "sentiment_label": self.sentiment_label,
            "category": self.category,
            "category_confidence": round(self.category_confidence, 4),
            "urgency": [flag.to_dict() for flag in self.urgency],
            "pii": [span.to_dict() for span in self.pii],
        }
