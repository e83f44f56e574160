"""The app's door to ``tone/``: one analyzer per brand configuration, plus priority."""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from flask import current_app

from tone import Analysis, PriorityWeights, ToneConfig, priority

if TYPE_CHECKING:
    from tone.analyzer import Analyzer
    from tone.pii import PiiDetector


@functools.lru_cache(maxsize=8)
def _analyzer(extra_json: str, weights_json: str) -> tuple[Analyzer, PriorityWeights]:
    # Imported here: the analyzer's libraries weigh about 200 MB, which only the processes
    # that score messages (the scheduler, the CLI) load; see ``pii_detector``.
    from tone.analyzer import get_analyzer

    extra = json.loads(extra_json)
    weights = PriorityWeights.from_dict(json.loads(weights_json) or None)
    if not extra:
        return get_analyzer(), weights
    return get_analyzer(ToneConfig.from_dict(extra)), weights


def analyzer(brand_settings: dict[str, Any] | None = None) -> tuple[Analyzer, PriorityWeights]:
    """The analyzer for the installation's settings and the brand's extra words."""
    extra: dict[str, Any] = dict(current_app.config.get("TONE_EXTRA") or {})
    if brand_settings and brand_settings.get("tone_extra"):
        extra.update(brand_settings["tone_extra"])
    weights = current_app.config.get("PRIORITY_WEIGHTS") or {}
    return _analyzer(json.dumps(extra, sort_keys=True), json.dumps(weights, sort_keys=True))


@functools.lru_cache(maxsize=8)
def _weights(weights_json: str) -> PriorityWeights:
    return PriorityWeights.from_dict(json.loads(weights_json) or None)


@functools.lru_cache(maxsize=8)
def _pii_detector(extra_json: str) -> PiiDetector:
    from tone.pii import PiiDetector

    extra = json.loads(extra_json)
    return PiiDetector(ToneConfig.from_dict(extra) if extra else ToneConfig())


def pii_detector(brand_settings: dict[str, Any] | None = None) -> PiiDetector:
    """The personal-data detector of the analyzer's configuration, without the analyzer.

    A web process checks agents' drafts for personal data; the full analyzer (language,
    sentiment, classifier) would add about 200 MB to it for patterns that weigh little.
    """
    extra: dict[str, Any] = dict(current_app.config.get("TONE_EXTRA") or {})
    if brand_settings and brand_settings.get("tone_extra"):
        extra.update(brand_settings["tone_extra"])
    return _pii_detector(json.dumps(extra, sort_keys=True))


def analyse(text: str, brand_settings: dict[str, Any] | None = None) -> Analysis:
    """Analyse one text with the configured analyzer."""
    return analyzer(brand_settings)[0].analyse(text)


def score_priority(analysis: Analysis, *, followers: int | None, segment: str,
                   waited_seconds: float, brand_settings: dict[str, Any] | None = None) -> float:
    """The 0..100 priority of an analysed message (weights only: no analyzer is loaded)."""
    weights = _weights(json.dumps(current_app.config.get("PRIORITY_WEIGHTS") or {},
                                  sort_keys=True))
    return priority(analysis, followers=followers, segment=segment,
                    waited_seconds=waited_seconds, weights=weights)


def prepare_process() -> None:
    """Load the analyzer (language models, word lists, classifier) before the first message.

    Called once by a long-running process (the scheduler, the demo server) after start-up,
    in an app context, so that the first mention ingested does not pay the loading time.
    """
    analyse("Bonjour, ma commande n'est pas arrivée. Hello, where is my parcel?")
