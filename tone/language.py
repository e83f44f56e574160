"""Language detection (fr / en / other) tuned for short social-media posts."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from tone.text import has_two_letters

# Enough neighbours that "other" means something, few enough to keep detection fast.
CANDIDATES: tuple[Language, ...] = (
    Language.FRENCH,
    Language.ENGLISH,
    Language.SPANISH,
    Language.GERMAN,
    Language.ITALIAN,
    Language.PORTUGUESE,
    Language.DUTCH,
)
_CODES: dict[Language, str] = {Language.FRENCH: "fr", Language.ENGLISH: "en"}

# Each hint word (stop words and care vocabulary) shifts the decision a little towards
# its language: a care inbox is mostly French and English, and lingua alone hesitates
# on four-word posts such as "colis pas recu".
HINT_BONUS = 0.12
HINT_CAP = 0.6
# When hint words alone are decisive, lingua is skipped: it is the costliest step and
# agrees with them on such texts. Decisive = enough hits, a good share of the tokens,
# and the other language's hits far behind (other languages share few of these words).
FAST_MIN_HITS = 3
FAST_MIN_SHARE = 0.2
FAST_MAX_OTHER_RATIO = 0.2

# Lingua's low-accuracy mode (trigrams only) is four times faster and shares the loaded
# models; its answer is kept only when it wins by this margin, else the full mode decides.
QUICK_MARGIN = 0.7

_lock = threading.Lock()
_detectors: tuple[LanguageDetector, LanguageDetector] | None = None


def shared_detectors() -> tuple[LanguageDetector, LanguageDetector]:
    """Process-wide (full, quick) lingua detectors; models load once, lingua is thread-safe."""
    global _detectors
    if _detectors is None:
        with _lock:
            if _detectors is None:
                builder = LanguageDetectorBuilder.from_languages(*CANDIDATES)
                full = builder.with_preloaded_language_models().build()
                quick = (
                    LanguageDetectorBuilder.from_languages(*CANDIDATES)
                    .with_preloaded_language_models()
                    .with_low_accuracy_mode()
                    .build()
                )
                _detectors = (full, quick)
    return _detectors


def _scores(
    detector: LanguageDetector, text: str, hits: Mapping[str, int]
) -> list[tuple[float, str]]:
    """(score, code) pairs, best first: lingua confidence plus the hint-word bonus."""
    scores: dict[str, float] = {}
    for conf in detector.compute_language_confidence_values(text):
        code = _CODES.get(conf.language, "other")
        scores[code] = max(scores.get(code, 0.0), conf.value)
    for code, count in hits.items():
        scores[code] = scores.get(code, 0.0) + min(HINT_CAP, HINT_BONUS * count)
    return sorted(((v, k) for k, v in scores.items()), reverse=True)


def detect(
    clean_text: str,
    tokens: list[str],
    hints: Mapping[str, frozenset[str]],
    detectors: tuple[LanguageDetector, LanguageDetector],
) -> str:
    """Return "fr", "en" or "other" for already cleaned text and its folded tokens."""
    if not has_two_letters(clean_text):
        return "other"
    # Counted by map() over C methods: a pass costs a fraction of a generator's
    # (sum of booleans is the same int count).
    hits = {
        code: sum(map(words.__contains__, tokens))
        for code, words in hints.items()
        if code in ("fr", "en")
    }
    fr_hits, en_hits = hits.get("fr", 0), hits.get("en", 0)
    # Numbers and emoji say nothing about the language; only words count in the share.
    words = sum(map(str.isalpha, tokens))
    for code, mine, theirs in (("fr", fr_hits, en_hits), ("en", en_hits, fr_hits)):
        if (
            mine >= FAST_MIN_HITS
            and mine >= FAST_MIN_SHARE * words
            and theirs <= FAST_MAX_OTHER_RATIO * mine
        ):
            return code
    full, quick = detectors
    ranked = _scores(quick, clean_text, hits)
    if len(ranked) < 2 or ranked[0][0] - ranked[1][0] < QUICK_MARGIN:
        ranked = _scores(full, clean_text, hits)
    if not ranked or ranked[0][0] <= 0.0:
        return "other"
    return ranked[0][1]
