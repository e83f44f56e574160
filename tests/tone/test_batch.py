"""A page analysed at once gives each message's own analysis, and the classifier's
page-at-once scoring gives what the plain definition of its features gives.

``Analyzer.analyse_many`` scores the classifier over a whole page (ingest's path);
``analyse`` is the same code for a page of one. Both are checked on the whole corpus
(``tone/data/corpus.jsonl``), in shuffled pages of several sizes, so a message never
scores differently for the company it keeps. The model's own scoring is checked against
:func:`tone.features.features` looked up feature by feature and weighted in float64.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter

import numpy as np
import pytest

from tone import Analyzer, ToneConfig
from tone.corpus import OUTPUT as CORPUS
from tone.features import features
from tone.model import TriageModel, shipped_model

ODD = ["", "   ", "😀😀", "<b>Bonjour</b> &amp; merci", "\x00\x01", "a" * 30_000,
       "Bonjour " * 400, "https://x.com/a/status/1 @Brand"]


def _corpus_texts() -> list[str]:
    with CORPUS.open(encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle if line.strip()] + ODD


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _corpus_texts()


def _pages(items: list[str], sizes: tuple[int, ...], seed: int) -> list[list[int]]:
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    pages, start, k = [], 0, 0
    while start < len(order):
        size = sizes[k % len(sizes)]
        pages.append(order[start:start + size])
        start, k = start + size, k + 1
    return pages


def test_analyse_many_equals_analyse_on_the_whole_corpus(analyzer: Analyzer, texts):
    alone = [analyzer.analyse(t) for t in texts]
    for page in _pages(texts, (100, 1, 37, 2), seed=3):
        together = analyzer.analyse_many([texts[i] for i in page])
        for i, analysis in zip(page, together, strict=True):
            assert analysis == alone[i], texts[i]


def test_analyse_many_of_nothing_and_of_odd_input(analyzer: Analyzer):
    assert analyzer.analyse_many([]) == []
    odd: list = [None, b"caf\xc3\xa9 \xff", 12]
    assert analyzer.analyse_many(odd) == [analyzer.analyse(x) for x in odd]


def test_analyse_many_with_brand_words_and_without_the_model(texts):
    sample = texts[::7]
    brand = Analyzer(ToneConfig.from_dict(
        {"extra_words": {"fr": {"delivery": {"colis": 3}}},
         "extra_urgency": {"fr": {"scam": ["arnaque"]}}}))
    rules = Analyzer(use_model=False)
    for analyzer in (brand, rules):
        assert analyzer.analyse_many(sample) == [analyzer.analyse(t) for t in sample]


def _reference(model: TriageModel, text: str, matches) -> tuple[np.ndarray, np.ndarray]:
    """Category and urgency probabilities by the definition (float64, feature by feature)."""
    counts = Counter(i for i in map(model.vocabulary.get, features(text, matches))
                     if i is not None)
    vector = np.zeros(len(model.idf))
    for i, n in counts.items():
        vector[i] = (1.0 + math.log(n)) * float(model.idf[i])
    norm = float(np.sqrt(vector @ vector))
    if norm > 0:
        vector /= norm
    out = []
    for name in ("category", "urgency"):
        head = model.heads[name]
        scores = vector @ head.weights.astype(np.float64) + head.intercept
        probs = 1.0 / (1.0 + np.exp(head.platt_a * scores + head.platt_b))
        if head.multiclass and probs.sum() > 0:
            probs = probs / probs.sum()
        out.append(probs)
    return out[0], out[1]


def test_page_scoring_matches_the_features_definition(analyzer: Analyzer, texts):
    model = shipped_model()
    assert model is not None
    sample = texts[::3]
    staged = []
    for text in sample:
        cleaned, toks = analyzer._prepare(text)
        staged.append((cleaned, analyzer._lexicon.index.find(toks)))
    predictions = model.predict_many(staged)
    assert len(predictions) == len(sample)
    worst = 0.0
    for (cleaned, matches), prediction in zip(staged, predictions, strict=True):
        cat, urg = _reference(model, cleaned, matches)
        got_cat = np.array([prediction.category[c] for c in model.heads["category"].labels])
        got_urg = np.array([prediction.urgency[f] for f in model.heads["urgency"].labels])
        worst = max(worst, float(np.abs(got_cat - cat).max()), float(np.abs(got_urg - urg).max()))
        # Float32 against float64: the decisions agree unless a score sits on the line.
        if abs(np.sort(cat)[-1] - np.sort(cat)[-2]) > 1e-4:
            assert int(np.argmax(got_cat)) == int(np.argmax(cat)), cleaned
    assert worst < 1e-4
