"""Language detection (fr / en / other) tuned for short social-media posts."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from tone.text import letter_count

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
FAST_MIN_SHARE = 0.3
FAST_MAX_OTHER_RATIO = 0.2

_lock = threading.Lock()
_detector: LanguageDetector | None = None


def shared_detector() -> LanguageDetector:
    """The process-wide lingua detector (models preloaded once; lingua is thread-safe)."""
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                _detector = (
                    LanguageDetectorBuilder.from_languages(*CANDIDATES)
                    .with_preloaded_language_models()
                    .build()
                )
    return _detector


def detect(
    clean_text: str,
    tokens: list[str],
    hints: Mapping[str, frozenset[str]],
    detector: LanguageDetector,
) -> str:
    """Return "fr", "en" or "other" for already cleaned text and its folded tokens."""
    if letter_count(clean_text) < 2:
        return "other"
    hits = {
        code: sum(1 for tok in tokens if tok in words)
        for code, words in hints.items()
        if code in ("fr", "en")
    }
    fr_hits, en_hits = hits.get("fr", 0), hits.get("en", 0)
    for code, mine, theirs in (("fr", fr_hits, en_hits), ("en", en_hits, fr_hits)):
        if (
            mine >= FAST_MIN_HITS
            and mine >= FAST_MIN_SHARE * len(tokens)
            and theirs <= FAST_MAX_OTHER_RATIO * mine
        ):
            return code
    scores: dict[str, float] = {}
    for conf in detector.compute_language_confidence_values(clean_text):
        code = _CODES.get(conf.language, "other")
        scores[code] = max(scores.get(code, 0.0), conf.value)
    for code, count in hits.items():
        scores[code] = scores.get(code, 0.0) + min(HINT_CAP, HINT_BONUS * count)
    if not scores or max(scores.values()) <= 0.0:
        return "other"
    return max(scores, key=lambda code: scores[code])
