"""The Analyzer: one object that scores a message for the inbox."""

from __future__ import annotations

import threading

from tone import sentiment as _sentiment
from tone.config import ToneConfig
from tone.language import detect, shared_detectors
from tone.lexicon import build_lexicon, load_json
from tone.pii import PiiDetector
from tone.rules import categorise, urgency_flags
from tone.text import clean, tokens
from tone.types import Analysis, PiiSpan

LANGUAGE_CHARS = 120


class Analyzer:
    """Language, sentiment, category, urgency and personal data of one message.

    Build it once (the language models take about a second to load, see
    :func:`get_analyzer`) and share it: all state is read-only after construction but
    for bounded caches (the term index's and the sentiment tokenizer's, each changed by
    single dict operations, atomic), so concurrent ``analyse()`` calls from several
    threads are safe.
    """

    def __init__(self, config: ToneConfig | None = None) -> None:
        """Compile word lists and patterns (built-in plus ``config`` extensions)."""
        self.config = config or ToneConfig()
        self._lexicon = build_lexicon(self.config)
        self._pii = PiiDetector(self.config)
        self._detectors = shared_detectors()
        self._emoji: dict[str, float] = {
            k: float(v) for k, v in load_json("common").get("emoji_polarity", {}).items()
        }
        _sentiment.preload()

    def _prepare(self, text: str) -> tuple[str, list[str]]:
        cleaned = clean(text[: self.config.max_rule_chars])
        return cleaned, tokens(cleaned)

    def _language(self, cleaned: str, toks: list[str]) -> str:
        # Lingua's cost grows with length; 120 characters settle the language.
        head = cleaned[: min(self.config.max_text_chars, LANGUAGE_CHARS)]
        # Hint words are counted on the same window lingua sees.
        head_tokens = toks if len(cleaned) <= len(head) else tokens(head)
        return detect(head, head_tokens, self._lexicon.hints, self._detectors)

    def analyse(self, text: str) -> Analysis:
        """Analyse one message; never raises on odd input (empty, HTML, huge, binary)."""
        text = _as_text(text)
        cleaned, toks = self._prepare(text)
        language = self._language(cleaned, toks)
        polarity, subjectivity = _sentiment.score(
            cleaned[: self.config.max_text_chars], language, self._emoji
        )
        matches = self._lexicon.index.find(toks)
        return Analysis(
            language=language,
            polarity=polarity,
            subjectivity=subjectivity,
            category=categorise(matches, polarity),
            urgency=urgency_flags(matches),
            pii=tuple(self._pii.detect(text)),
        )

    def detect_pii(self, text: str) -> list[PiiSpan]:
        """Personal data in ``text`` (whole text), for inbound posts and agents' drafts."""
        return self._pii.detect(_as_text(text))

    def language(self, text: str) -> str:
        """ "fr", "en" or "other" ("other" also for empty or emoji-only text)."""
        cleaned, toks = self._prepare(_as_text(text))
        return self._language(cleaned, toks)

    def sentiment(self, text: str, language: str | None = None) -> tuple[float, float]:
        """(polarity -1..1, subjectivity 0..1); detects the language when not given."""
        cleaned, toks = self._prepare(_as_text(text))
        lang = language or self._language(cleaned, toks)
        return _sentiment.score(cleaned[: self.config.max_text_chars], lang, self._emoji)


def _as_text(text: object) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes):
        return text.decode("utf-8", errors="replace")
    return text if isinstance(text, str) else str(text)


_cache_lock = threading.Lock()
_cache: dict[ToneConfig, Analyzer] = {}


def get_analyzer(config: ToneConfig | None = None) -> Analyzer:
    """Return a cached Analyzer for ``config`` (one per distinct config, built once)."""
    key = config or ToneConfig()
    analyzer = _cache.get(key)
    if analyzer is None:
        with _cache_lock:
            analyzer = _cache.get(key)
            if analyzer is None:
                analyzer = Analyzer(key)
                _cache[key] = analyzer
    return analyzer
