"""Polarity and subjectivity through TextBlob's pattern lexicons (English and French).

TextBlob's ``PatternAnalyzer`` (and textblob-fr's) only wrap a pattern ``Sentiment``
lexicon; calling that lexicon directly gives identical scores without building a TextBlob
object, and needs no NLTK corpus. The lexicon's own ``__call__`` tokenises with pattern's
slow tokenizer; :mod:`tone.tokens` gives the same tokens faster. The lexicon's
``assessments`` walks the words through its lazy dictionary, whose every ``in`` and ``[]``
is a Python-level call: :class:`Assessor` is the same walk over plain tables built from the
loaded lexicon once, and the averaging below is the lexicon's, so the scores are the
library's to the last bit (``tests/tone/test_fast_paths.py`` compares them).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from textblob.en import sentiment as en_lexicon
from textblob_fr.fr import sentiment as fr_lexicon

from tone import tokens as token_module

# Digits carry no sentiment, but pattern checks every short non-alphabetic token (prices,
# phone numbers, dates) against its whole emoticon table, its slowest path.
_DIGITS_RE = re.compile(r"[\d][\d.,:/h€£$%-]*")

_lock = threading.Lock()
_loaded = False
_tokenizers: dict[str, Any] = {}
_assessors: dict[str, Assessor] = {}


class Assessor:
    """pattern's ``Sentiment.assessments`` for words without part-of-speech tags.

    The walk is the library's, branch for branch (a known word, optionally preceded by a
    modifier or a negation; negations kept across short words; "!" boosting the previous
    assessment; "(!)" for irony; emoticons), over a dictionary of the known words'
    (polarity, subjectivity, intensity, is-a-modifier) and the emoticons' polarity.
    It returns what ``lexicon_score`` averages: (polarity, subjectivity) per assessment.
    """

    def __init__(self, lexicon: Any, module: Any) -> None:
        """Read the tables of a loaded ``lexicon`` and of its pattern ``module``."""
        modifiers = lexicon.modifiers
        self._known: dict[str, tuple[float, float, float, bool]] = {}
        for word, tags in dict.items(lexicon):
            # The library looks words up with the tag None (untagged text).
            if None in tags:
                p, s, i = tags[None]
                self._known[word] = (p, s, i, any(map(tags.__contains__, modifiers)))
        self._negations = lexicon.negations
        self._modifier = lexicon.modifier
        self._punctuation: str = module.PUNCTUATION
        # The first emoticon class (in the library's order) that lists the lower-cased
        # token wins, as in its loop.
        self._emoticons: dict[str, float] = {}
        for (_kind, polarity), faces in module.EMOTICONS.items():
            for face in faces:
                self._emoticons.setdefault(face.lower(), polarity)

    def __call__(self, words: list[str]) -> list[tuple[float, float]]:
        """(polarity, subjectivity) of each assessment of the lower-cased ``words``."""
        known, negations, modifier = self._known, self._negations, self._modifier
        # Each assessment: [words, polarity, subjectivity, intensity, negated (-1 or 1)].
        a: list[list[Any]] = []
        m: str | None = None  # preceding modifier
        n: str | None = None  # preceding negation
        for w in words:
            entry = known.get(w)
            if entry is not None:
                p, s, i, is_modifier = entry
                if m is None:
                    a.append([[w], p, s, i, 1])
                else:
                    last = a[-1]
                    last[0].append(w)
                    last[1] = max(-1.0, min(p * last[3], +1.0))
                    last[2] = max(-1.0, min(s * last[3], +1.0))
                    last[3] = i
                if n is not None:
                    last = a[-1]
                    last[0].insert(0, n)
                    last[3] = 1.0 / last[3]
                    last[4] = -1
                m = w if is_modifier else None
                n = w if w in negations else None
                continue
            if w in negations:
                n = w
            elif n and len(w.strip("'")) > 1:
                n = None
            if n is not None and m is not None and modifier(m):
                a[-1][0].append(n)
                a[-1][4] = -1
                n = None
            elif m is not None and len(w) > 2:
                m = None
            if w == "!" and a:
                a[-1][0].append("!")
                a[-1][1] = max(-1.0, min(a[-1][1] * 1.25, +1.0))
            if w == "(!)":
                a.append([[w], 0.0, 1.0, 1.0, 1])
            if w.isalpha() is False and len(w) <= 5 and w not in self._punctuation:
                polarity = self._emoticons.get(w)
                if polarity is not None:
                    a.append([[w], polarity, 1.0, 1.0, 1])
        # "not good" = slightly bad, "not bad" = slightly good.
        return [(p * -0.5 if neg < 0 else p, s) for _w, p, s, _i, neg in a]


def preload() -> None:
    """Load both XML lexicons once; pattern loads them lazily, which is not thread-safe."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if not _loaded:
            # len() goes through pattern's lazy loader, which skips an already loaded one.
            len(en_lexicon)
            len(fr_lexicon)
            _tokenizers["en"] = token_module.english()
            _tokenizers["fr"] = token_module.french()
            _assessors["en"] = Assessor(en_lexicon, token_module.library_module(en_lexicon))
            _assessors["fr"] = Assessor(fr_lexicon, token_module.library_module(fr_lexicon))
            _loaded = True


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def lexicon_score(text: str, language: str) -> tuple[float, float]:
    """What the pattern lexicon of ``language`` ("en" or "fr") returns for a string."""
    preload()
    words = " ".join(_tokenizers[language](text)).lower().split()
    found = _assessors[language](words)
    if not found:
        return 0.0, 0.0
    # The lexicon's avg(): a plain sum in order, over the count.
    return (sum(p for p, _s in found) / float(len(found)),
            sum(s for _p, s in found) / float(len(found)))


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
