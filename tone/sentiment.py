"""Polarity and subjectivity through TextBlob's pattern lexicons (English and French).

TextBlob's ``PatternAnalyzer`` (and textblob-fr's) only wrap a pattern ``Sentiment``
lexicon; calling that lexicon directly gives identical scores without building a TextBlob
object, and needs no NLTK corpus. The lexicon's own ``__call__`` tokenises with pattern's
slow tokenizer; :mod:`tone.tokens` gives the same tokens faster, and the averaging below
is the lexicon's, so the scores are the library's to the last bit.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from textblob.en import sentiment as _en_sentiment
from textblob_fr.fr import sentiment as _fr_sentiment

from tone import tokens as _tokens

# Digits carry no sentiment, but pattern checks every short non-alphabetic token (prices,
# phone numbers, dates) against its whole emoticon table, its slowest path.
_DIGITS_RE = re.compile(r"[\d][\d.,:/h€£$%-]*")

_lock = threading.Lock()
_loaded = False
_tokenizers: dict[str, Any] = {}


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
            _tokenizers["en"] = _tokens.english()
            _tokenizers["fr"] = _tokens.french()
            _loaded = True


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def lexicon_score(text: str, language: str) -> tuple[float, float]:
    """What the pattern lexicon of ``language`` ("en" or "fr") returns for a string."""
    preload()
    analyser = _fr_sentiment if language == "fr" else _en_sentiment
    words = " ".join(_tokenizers[language](text)).split()
    found = analyser.assessments(((w.lower(), None) for w in words), True)
    if not found:
        return 0.0, 0.0
    # The lexicon's avg(): a plain sum in order, over the count.
    return (sum(p for _w, p, _s, _x in found) / float(len(found)),
            sum(s for _w, _p, s, _x in found) / float(len(found)))


def score(text: str, language: str, emoji: Mapping[str, Any] | None = None) -> tuple[float, float]:
    """Return (polarity -1..1, subjectivity 0..1).

    French text uses textblob-fr, anything else TextBlob's English lexicon. Emoji carry
    much of the feeling in social posts and neither lexicon knows them, so the mean
    polarity of known emoji is blended in (half weight when the words already scored).
    """
    preload()
    lang = "fr" if language == "fr" else "en"
    if not text:
        return 0.0, 0.0
    polarity, subjectivity = lexicon_score(_DIGITS_RE.sub(" ", text), lang)
    if emoji:
        values = [float(emoji[ch]) for ch in text if ch in emoji]
        if values:
            mean = sum(values) / len(values)
            if polarity == 0.0:
                polarity, subjectivity = mean, max(subjectivity, 0.6)
            else:
                polarity = (polarity + mean) / 2
    return _clamp(float(polarity), -1.0, 1.0), _clamp(float(subjectivity), 0.0, 1.0)
