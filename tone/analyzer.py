"""The Analyzer: one object that scores a message for the inbox."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from tone import sentiment as _sentiment
from tone.config import ToneConfig
from tone.labels import sentiment_label
from tone.language import detect, shared_detectors
from tone.lexicon import brand_index, build_lexicon, load_json
from tone.model import Prediction, TriageModel, shipped_model
from tone.pii import PiiDetector
from tone.rules import categorise, urgency_flags
from tone.text import clean, tokens
from tone.types import URGENCY_FLAGS, Analysis, PiiSpan, UrgencyFlag

LANGUAGE_CHARS = 120
# Below this probability, praise needs one of the lexicon's words of praise.
PRAISE_CONFIDENCE = 0.8


class Analyzer:
    """Language, sentiment, category, urgency and personal data of one message.

    Build it once (the language models take about a second to load, see
    :func:`get_analyzer`) and share it: all state is read-only after construction but
    for bounded caches (the term index's and the sentiment tokenizer's, each changed by
    single dict operations, atomic), so concurrent ``analyse()`` calls from several
    threads are safe.
    """

    def __init__(self, config: ToneConfig | None = None, model: TriageModel | None = None,
                 *, use_model: bool = True) -> None:
        """Compile word lists and patterns (built-in plus ``config`` extensions).

        ``model`` is the statistical classifier (the shipped one by default, see
        :mod:`tone.model`); with ``use_model=False`` or no model file, category and urgency
        come from the word lists alone.
        """
        self.config = config or ToneConfig()
        self.model = model if model is not None else (shipped_model() if use_model else None)
        self._lexicon = build_lexicon(self.config)
        self._brand = brand_index(self.config)
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
        return self.analyse_many([text])[0]

    def analyse_many(self, texts: Sequence[str]) -> list[Analysis]:
        """:meth:`analyse` of each text, in order; the same results, one by one.

        The classifier scores the whole list in one product (a page of mentions), which
        spares most of its fixed cost per message; everything else runs per text.
        """
        staged = [self._stage(_as_text(text)) for text in texts]
        if self.model is None:
            return [self._finish(s, None) for s in staged]
        predictions = self.model.predict_many([(s.cleaned, s.matches) for s in staged])
        return [self._finish(s, p) for s, p in zip(staged, predictions, strict=True)]

    def _stage(self, text: str) -> _Staged:
        """Every per-text step before the classifier."""
        cleaned, toks = self._prepare(text)
        language = self._language(cleaned, toks)
        polarity, subjectivity = _sentiment.score(
            cleaned[: self.config.max_text_chars], language, self._emoji
        )
        matches = self._lexicon.index.find(toks)
        brand = self._brand.find(toks) if self._brand is not None else {}
        return _Staged(text, cleaned, language, polarity, subjectivity, matches, brand)

    def _finish(self, staged: _Staged, prediction: Prediction | None) -> Analysis:
        """The analysis of a staged text, given the classifier's prediction (or None)."""
        rule_flags = urgency_flags(staged.matches)
        if prediction is None:
            category, confidence, flags = (categorise(staged.matches, staged.polarity), 1.0,
                                           rule_flags)
        else:
            category, confidence, flags = self._classify(prediction, staged.matches,
                                                         rule_flags, staged.brand)
        names = [f.name for f in flags]
        return Analysis(
            language=staged.language,
            polarity=staged.polarity,
            subjectivity=staged.subjectivity,
            category=category,
            urgency=flags,
            pii=tuple(self._pii.detect(staged.text)),
            sentiment_label=sentiment_label(staged.polarity, category, names, staged.cleaned),
            category_confidence=confidence,
        )

    def _classify(self, prediction: Prediction, matches: dict[str, dict[str, float]],
                  rule_flags: tuple[UrgencyFlag, ...], brand: dict[str, dict[str, float]]
                  ) -> tuple[str, float, tuple[UrgencyFlag, ...]]:
        """Category from the classifier; urgency from the rules or the classifier.

        A flag is raised when its trigger words occur or when the classifier's calibrated
        probability reaches the flag's threshold (chosen in training for recall); the
        hover shows the trigger words, or the words that weighed most in the classifier.
        A brand's own words decide the category and always raise their flags. Praise
        needs a word of praise, or the classifier's clear confidence: "merci de me
        répondre" is not praise.
        """
        assert self.model is not None
        probs = prediction.category
        ranked = sorted(probs, key=probs.__getitem__, reverse=True)
        category = ranked[0]
        if (category == "praise" and probs["praise"] < PRAISE_CONFIDENCE
                and sum(matches.get("cat:praise", {}).values()) <= 0):
            category = ranked[1]
        brand_scores = {g[4:]: sum(found.values()) for g, found in brand.items()
                        if g.startswith("cat:")}
        if brand_scores:
            category = max(brand_scores, key=brand_scores.__getitem__)
        by_rule = {f.name: f for f in rule_flags}
        flags = []
        veto = self.model.rule_veto
        for name in URGENCY_FLAGS:
            if name in by_rule and (prediction.urgency[name] >= veto
                                    or f"urg:{name}" in brand):
                flags.append(by_rule[name])
            elif name in prediction.urgent:
                flags.append(UrgencyFlag(name, prediction.evidence.get(name, ())))
        return category, probs[category], tuple(flags)

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


@dataclass(frozen=True)
class _Staged:
    """One text's results before the classifier (see :meth:`Analyzer.analyse_many`)."""

    text: str
    cleaned: str
    language: str
    polarity: float
    subjectivity: float
    matches: dict[str, dict[str, float]]
    brand: dict[str, dict[str, float]]


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
