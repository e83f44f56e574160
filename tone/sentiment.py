"""Polarity and subjectivity through TextBlob's pattern lexicons (English and French).

TextBlob's ``PatternAnalyzer`` (and textblob-fr's) only wrap a pattern ``Sentiment``
lexicon; calling that lexicon directly gives identical scores without building a TextBlob
object, and needs no NLTK corpus.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from textblob.en import sentiment as _en_sentiment
from textblob_fr.fr import sentiment as _fr_sentiment

# Digits carry no sentiment, but pattern checks every short non-alphabetic token (prices,
# phone numbers, dates) against its whole emoticon table, its slowest path.
_DIGITS_RE = re.compile(r"[\d][\d.,:/h€£$%-]*")

_lock = threading.Lock()
_loaded = False


def preload() -> None:
    """Load both XML lexicons once; pattern loads them lazily, which is not thread-safe."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if not _loaded:
            # len() goes through pattern's lazy loader, which skips an already loaded one.
            len(_en_sentiment)
            len(_fr_sentiment)
            _loaded = True


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def score(text: str, language: str, emoji: Mapping[str, Any] | None = None) -> tuple[float, float]:
    """Return (polarity -1..1, subjectivity 0..1).

    French text uses textblob-fr, anything else TextBlob's English lexicon. Emoji carry
    much of the feeling in social posts and neither lexicon knows them, so the mean
    polarity of known emoji is blended in (half weight when the words already scored).
    """
    preload()
    analyser = _fr_sentiment if language == "fr" else _en_sentiment
    if not text:
        return 0.0, 0.0
    polarity, subjectivity = analyser(_DIGITS_RE.sub(" ", text))[:2]
    if emoji:
        values = [float(emoji[ch]) for ch in text if ch in emoji]
        if values:
            mean = sum(values) / len(values)
            if polarity == 0.0:
                polarity, subjectivity = mean, max(subjectivity, 0.6)
            else:
                polarity = (polarity + mean) / 2
    return _clamp(float(polarity), -1.0, 1.0), _clamp(float(subjectivity), 0.0, 1.0)
