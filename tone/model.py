"""The statistical triage model at scoring time: plain arrays, no scikit-learn needed.

``tone.train`` fits, with scikit-learn, a TF-IDF weighting of :func:`tone.features.features`,
a multinomial logistic regression for the category and one binary logistic regression per
urgency flag, each calibrated by Platt scaling on
cross-validated scores (grouped by corpus family), and urgency thresholds chosen on those
same cross-validated scores for recall. It saves them as arrays in ``tone/data/model/``;
this module reads them back and scores a message with a few NumPy operations over the
message's features (a sparse dot product), which costs tens of microseconds.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tone.features import Matches, char_grams, normalise, rule_features

MODEL_DIR = Path(__file__).resolve().parent / "data" / "model"
ARRAYS = MODEL_DIR / "triage.npz"
META = MODEL_DIR / "triage.json"

FloatArray = npt.NDArray[np.float32]
# Distinct words whose feature indices are remembered (cleared when full).
_WORD_CACHE_LIMIT = 100_000


@dataclass(frozen=True)
class Head:
    """One calibrated linear classifier over the shared features.

    ``weights`` is (features x outputs); the score of output k is ``x @ weights[:, k] +
    intercept[k]`` and its calibrated probability ``1 / (1 + exp(a[k] * score + b[k]))``.
    ``labels`` names the outputs; for a multi-class head the probabilities are normalised.
    """

    labels: tuple[str, ...]
    weights: FloatArray
    intercept: FloatArray
    platt_a: FloatArray
    platt_b: FloatArray
    multiclass: bool

    def probabilities(self, rows: npt.NDArray[np.intp], values: FloatArray) -> FloatArray:
        """Calibrated probabilities of each output for the features ``rows`` (tf-idf ``values``)."""
        raw: FloatArray = (values @ self.weights[rows] if len(rows)
                           else np.zeros(len(self.labels), dtype=np.float32))
        return self.calibrate(raw)

    def calibrate(self, raw: FloatArray) -> FloatArray:
        """Probabilities from the linear part of the scores (without the intercept)."""
        scores = raw + self.intercept
        probs: FloatArray = (1.0 / (1.0 + np.exp(self.platt_a * scores + self.platt_b))
                             ).astype(np.float32)
        if self.multiclass:
            total = float(probs.sum())
            if total > 0:
                probs = probs / total
        return probs


@dataclass(frozen=True)
class Prediction:
    """What the model says about one message."""

    category: dict[str, float]
    urgency: dict[str, float]
    urgent: tuple[str, ...]
    evidence: dict[str, tuple[str, ...]]


class TriageModel:
    """The fitted model: vocabulary, idf, and the category and urgency heads."""

    def __init__(self, vocabulary: dict[str, int], idf: FloatArray, heads: dict[str, Head],
                 thresholds: dict[str, float], meta: dict[str, Any] | None = None) -> None:
        """Assemble a model from its parts (see :func:`load` and ``tone.train``)."""
        self.vocabulary = vocabulary
        self.idf = idf
        self.heads = heads
        self.thresholds = thresholds
        self.meta = meta or {}
        # Below this probability a flag's trigger words do not raise it (see tone.train).
        self.rule_veto = float(self.meta.get("rule_veto", 0.0))
        self._names = {i: name for name, i in vocabulary.items()}
        self._word_cache: dict[str, tuple[int, ...]] = {}
        # Every head's weights side by side: one gather and one product per message.
        self._order = tuple(heads)
        self._stacked = np.ascontiguousarray(np.hstack([heads[n].weights for n in self._order]))
        bounds = np.cumsum([0] + [heads[n].weights.shape[1] for n in self._order])
        self._slices = {n: slice(int(bounds[k]), int(bounds[k + 1]))
                        for k, n in enumerate(self._order)}

    def _feature_ids(self, text: str, matches: Matches | None) -> list[int]:
        """Vocabulary indices of :func:`tone.features.features` of ``text``, repeats kept.

        The same multiset as looking each feature up, but a word's own features (the word
        and its character grams) are looked up once and remembered: words repeat.
        """
        vocab = self.vocabulary
        words = normalise(text)
        ids: list[int] = []
        cache = self._word_cache
        for w in words:
            known = cache.get(w)
            if known is None:
                grams = [f"w:{w}"]
                if len(w) >= 2 and w.isalnum():
                    grams.extend(char_grams(w))
                known = tuple(i for i in map(vocab.get, grams) if i is not None)
                if len(cache) >= _WORD_CACHE_LIMIT:
                    cache.clear()
                cache[w] = known
            ids.extend(known)
        extra = [f"b:{a} {b}" for a, b in pairwise(words)]
        if matches:
            extra.extend(rule_features(matches))
        ids.extend(i for i in map(vocab.get, extra) if i is not None)
        return ids

    def vectorise(self, text: str, matches: Matches | None = None
                  ) -> tuple[npt.NDArray[np.intp], FloatArray]:
        """Known feature indices of ``text`` and their l2-normalised sublinear tf-idf values."""
        counts = Counter(self._feature_ids(text, matches))
        found = list(counts.items())
        if not found:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32)
        ids, ns = zip(*found, strict=True)
        rows = np.array(ids, dtype=np.intp)
        tf = 1.0 + np.log(np.array(ns, dtype=np.float32))
        values: FloatArray = (tf * self.idf[rows]).astype(np.float32)
        norm = float(np.sqrt(values @ values))
        if norm > 0:
            values = (values / norm).astype(np.float32)
        return rows, values

    def predict(self, text: str, matches: Matches | None = None) -> Prediction:
        """Category and urgency probabilities, the flags raised and their evidence.

        ``matches`` are the lexicon's matches in ``text`` (the model was trained with them).
        """
        rows, values = self.vectorise(text, matches)
        cat = self.heads["category"]
        urg = self.heads["urgency"]
        raw = (values @ self._stacked[rows] if len(rows)
               else np.zeros(self._stacked.shape[1], dtype=np.float32))
        cat_p = cat.calibrate(raw[self._slices["category"]])
        urg_p = urg.calibrate(raw[self._slices["urgency"]])
        urgency = {flag: float(p) for flag, p in zip(urg.labels, urg_p, strict=True)}
        urgent = tuple(f for f in urg.labels if urgency[f] >= self.thresholds.get(f, 0.5))
        evidence = {f: self._evidence(urg, urg.labels.index(f), rows, values) for f in urgent}
        return Prediction(
            category={c: float(p) for c, p in zip(cat.labels, cat_p, strict=True)},
            urgency=urgency,
            urgent=urgent,
            evidence=evidence,
        )

    def _evidence(self, head: Head, k: int, rows: npt.NDArray[np.intp],
                  values: FloatArray) -> tuple[str, ...]:
        """The words of the message that pushed output ``k`` up most (for the hover)."""
        if not len(rows):
            return ()
        contributions = values * head.weights[rows, k]
        found: list[str] = []
        for j in np.argsort(-contributions)[:12]:
            if contributions[j] <= 0:
                break
            name = self._names[int(rows[j])]
            if name[:2] in ("w:", "b:"):
                word = name[2:]
                if word not in found and len(word) > 2:
                    found.append(word)
            if len(found) == 3:
                break
        return tuple(found)


def save(model: TriageModel, directory: Path = MODEL_DIR) -> None:
    """Write the model as ``triage.npz`` (arrays, compressed) and ``triage.json`` (the rest)."""
    directory.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = {"idf": model.idf.astype(np.float32)}
    for name, head in model.heads.items():
        arrays[f"{name}.weights"] = head.weights.astype(np.float16)
        arrays[f"{name}.intercept"] = head.intercept.astype(np.float32)
        arrays[f"{name}.platt_a"] = head.platt_a.astype(np.float32)
        arrays[f"{name}.platt_b"] = head.platt_b.astype(np.float32)
    np.savez_compressed(directory / ARRAYS.name, **arrays)
    vocabulary = sorted(model.vocabulary, key=model.vocabulary.__getitem__)
    meta = {
        "vocabulary": vocabulary,
        "heads": {name: {"labels": list(h.labels), "multiclass": h.multiclass}
                  for name, h in model.heads.items()},
        "thresholds": model.thresholds,
        "meta": model.meta,
    }
    (directory / META.name).write_text(json.dumps(meta, ensure_ascii=False, separators=(",", ":")),
                                       encoding="utf-8")


def load(directory: Path = MODEL_DIR) -> TriageModel:
    """Read the model saved by :func:`save`."""
    meta = json.loads((directory / META.name).read_text(encoding="utf-8"))
    with np.load(directory / ARRAYS.name) as arrays:
        heads = {
            name: Head(
                labels=tuple(spec["labels"]),
                weights=arrays[f"{name}.weights"].astype(np.float32),
                intercept=arrays[f"{name}.intercept"],
                platt_a=arrays[f"{name}.platt_a"],
                platt_b=arrays[f"{name}.platt_b"],
                multiclass=bool(spec["multiclass"]),
            )
            for name, spec in meta["heads"].items()
        }
        idf = arrays["idf"]
    vocabulary = {name: i for i, name in enumerate(meta["vocabulary"])}
    return TriageModel(vocabulary, idf, heads, dict(meta["thresholds"]), meta.get("meta"))


@functools.cache
def shipped_model() -> TriageModel | None:
    """The model in ``tone/data/model/`` (loaded once), or None when it was not built."""
    if not (ARRAYS.exists() and META.exists()):
        return None
    return load()
