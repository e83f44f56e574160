"""Configuration objects: priority weights and per-brand extensions of the word lists."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from tone.types import CATEGORIES, URGENCY_FLAGS

DEFAULT_FLAG_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("safety", 1.0),
    ("hacked_account", 1.0),
    ("scam", 0.9),
    ("money_blocked", 0.8),
    ("public_threat", 0.7),
    ("abuse", 0.5),
)

DEFAULT_CATEGORY_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("fraud", 1.0),
    ("account", 0.8),
    ("payment", 0.8),
    ("dispute", 0.6),
    ("delivery", 0.5),
    ("technical", 0.4),
    ("listing", 0.3),
    ("other", 0.2),
    ("praise", 0.0),
)

_DEFAULT_EXTRA_WEIGHT = 2.0


def _pairs(value: Mapping[str, Any] | Iterable[Any]) -> tuple[tuple[str, float], ...]:
    items: Iterable[Any] = value.items() if isinstance(value, Mapping) else value
    return tuple((str(pair[0]), float(pair[1])) for pair in items)


@dataclass(frozen=True)
class PriorityWeights:
    """Weights of the 0..100 priority score (see :func:`tone.priority`).

    The score is a weighted sum of six components, each scaled to 0..1, then clamped
    to 0..100. The six top-level weights are points; with the defaults they add up to 100.

    * ``urgency`` (35): strongest urgency flag, from ``flag_weights`` (safety and hacked
      account 1.0, scam 0.9, blocked money 0.8, public threat 0.7, abuse 0.5), plus
      ``extra_flag_bonus`` (0.15) per further flag, capped at 1.
    * ``negativity`` (15): ``max(0, -polarity)``, so only negative sentiment raises it.
    * ``category`` (15): from ``category_weights`` (fraud 1.0, account and payment 0.8,
      dispute 0.6, delivery 0.5, technical 0.4, listing 0.3, other 0.2, praise 0).
    * ``reach`` (15): ``log10(1 + followers) / log10(1 + reach_saturation_followers)``,
      capped at 1 (one million followers by default); unknown followers count as 0.
    * ``segment`` (10): 1 for a segment in ``professional_segments``, else 0.
    * ``wait`` (10): ``waited / (waited + wait_half_life_seconds)``; half the points after
      one hour by default, always rising with the wait but never saturating abruptly.
    * ``safety_floor`` (95): a message with the safety flag (a danger to a person) scores
      ``safety_floor + (100 - safety_floor) * score / 100``, so it sorts first in the inbox.

    Mapping fields are stored as tuples of pairs so the object stays hashable; build it
    from plain settings with :meth:`from_dict`.
    """

    urgency: float = 35.0
    negativity: float = 15.0
    category: float = 15.0
    reach: float = 15.0
    segment: float = 10.0
    wait: float = 10.0
    flag_weights: tuple[tuple[str, float], ...] = DEFAULT_FLAG_WEIGHTS
    category_weights: tuple[tuple[str, float], ...] = DEFAULT_CATEGORY_WEIGHTS
    extra_flag_bonus: float = 0.15
    reach_saturation_followers: int = 1_000_000
    wait_half_life_seconds: float = 3600.0
    professional_segments: tuple[str, ...] = ("professional", "pro")
    # A danger to a person comes first: with the safety flag the score is mapped into
    # safety_floor..100 (keeping its order among safety cases); 0 turns this off.
    safety_floor: float = 95.0

    def flag_weight(self, name: str) -> float:
        """Weight (0..1) of one urgency flag; unknown flags weigh 0.5."""
        return dict(self.flag_weights).get(name, 0.5)

    def category_weight(self, name: str) -> float:
        """Weight (0..1) of one category; unknown categories weigh 0.2."""
        return dict(self.category_weights).get(name, 0.2)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> PriorityWeights:
        """Build weights from a settings dict; missing keys keep their defaults.

        ``flag_weights`` and ``category_weights`` may be dicts; they are merged over the
        defaults so a brand can change one flag without restating the others.
        Unknown keys raise ``ValueError`` so a typo in settings is not silently ignored.
        """
        if not data:
            return cls()
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown priority weight(s): {sorted(unknown)}")
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key == "flag_weights":
                merged = dict(DEFAULT_FLAG_WEIGHTS) | dict(_pairs(value))
                kwargs[key] = tuple(merged.items())
            elif key == "category_weights":
                merged = dict(DEFAULT_CATEGORY_WEIGHTS) | dict(_pairs(value))
                kwargs[key] = tuple(merged.items())
            elif key == "professional_segments":
                kwargs[key] = tuple(str(v) for v in value)
            elif key == "reach_saturation_followers":
                kwargs[key] = int(value)
            else:
                kwargs[key] = float(value)
        return cls(**kwargs)


def _word_entries(
    data: Mapping[str, Any] | None, allowed: tuple[str, ...], what: str
) -> tuple[tuple[str, str, str, float], ...]:
    """Flatten ``{lang: {name: [words] | {word: weight}}}`` into sorted tuples."""
    out: list[tuple[str, str, str, float]] = []
    for lang, per_name in (data or {}).items():
        for name, words in per_name.items():
            if name not in allowed:
                raise ValueError(f"unknown {what} {name!r}; expected one of {allowed}")
            if isinstance(words, str):
                words = [words]
            pairs = (
                words.items()
                if isinstance(words, Mapping)
                else ((w, _DEFAULT_EXTRA_WEIGHT) for w in words)
            )
            out.extend((str(lang), name, str(w), float(wt)) for w, wt in pairs)
    return tuple(out)


@dataclass(frozen=True)
class ToneConfig:
    """Brand-specific extensions of the built-in word lists and patterns.

    * ``extra_words``: ``(language, category, term, weight)`` entries added to the category
      lexicon. Terms use the data-file syntax: lower case, accents optional, a trailing
      ``*`` matches any ending (``rembours*``), spaces match between words.
    * ``extra_urgency``: ``(language, flag, term)`` entries added to the urgency triggers.
    * ``order_patterns`` / ``tracking_patterns``: extra regular expressions (Python syntax,
      case-insensitive); a named group ``ref`` marks the span to report, otherwise the
      whole match is reported.
    * ``priority_weights``: see :class:`PriorityWeights`.
    * ``max_text_chars``: only this many leading characters feed language and sentiment,
      which keeps long posts fast; ``max_rule_chars`` bounds category and urgency rules.
      Personal data is always searched in the whole text.
    """

    extra_words: tuple[tuple[str, str, str, float], ...] = ()
    extra_urgency: tuple[tuple[str, str, str], ...] = ()
    order_patterns: tuple[str, ...] = ()
    tracking_patterns: tuple[str, ...] = ()
    priority_weights: PriorityWeights = field(default_factory=PriorityWeights)
    max_text_chars: int = 600
    max_rule_chars: int = 5000

    def __post_init__(self) -> None:
        # Fail at configuration time, not on the first message that reaches the regex.
        for pattern in (*self.order_patterns, *self.tracking_patterns):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid pattern {pattern!r}: {exc}") from exc

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ToneConfig:
        """Build a config from plain settings, e.g.::

        {"extra_words": {"fr": {"payment": ["cagnotte"], "delivery": {"relais pickup": 3}}},
         "extra_urgency": {"en": {"scam": ["fake courier"]}},
         "order_patterns": [r"\\bLBC-(?P<ref>\\d{8})\\b"],
         "tracking_patterns": [],
         "priority_weights": {"reach": 20, "flag_weights": {"abuse": 0.3}}}
        """
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown tone setting(s): {sorted(unknown)}")
        urgency = _word_entries(data.get("extra_urgency"), URGENCY_FLAGS, "urgency flag")
        kwargs: dict[str, Any] = {
            "extra_words": _word_entries(data.get("extra_words"), CATEGORIES, "category"),
            "extra_urgency": tuple((lang, name, term) for lang, name, term, _ in urgency),
            "order_patterns": tuple(data.get("order_patterns") or ()),
            "tracking_patterns": tuple(data.get("tracking_patterns") or ()),
            "priority_weights": PriorityWeights.from_dict(data.get("priority_weights")),
        }
        for key in ("max_text_chars", "max_rule_chars"):
            if key in data:
                kwargs[key] = int(data[key])
        return cls(**kwargs)
