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
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, pairwise
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

    def calibrate_many(self, raw: FloatArray) -> FloatArray:
        """:meth:`calibrate` of each row of ``raw`` (one message's linear scores per row)."""
        scores = raw + self.intercept
        probs: FloatArray = (1.0 / (1.0 + np.exp(self.platt_a * scores + self.platt_b))
                             ).astype(np.float32)
        if self.multiclass:
            totals = probs.sum(axis=1, keepdims=True)
            probs = np.divide(probs, totals, out=probs, where=totals > 0)
        return probs


@dataclass(frozen=True)
class _Page:
    """Several messages' features: ``rows``/``values`` of message i lie at
    ``starts[i]:starts[i + 1]``."""

    rows: npt.NDArray[np.intp]
    values: FloatArray
    starts: list[int]


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
        """Known feature indices of ``text`` and their l2-normalised sublinear tf-idf values.

        Indices come in the order the features first occur in the text.
        """
        page = self._vectorise_page([self._feature_ids(text, matches)])
        return page.rows, page.values

    def _vectorise_page(self, page_ids: Sequence[list[int]]) -> _Page:
        """Sublinear tf-idf, l2-normalised, of several messages' feature indices at once.

        The element-wise steps run once over the whole page's features; each message's
        norm is its own dot product, in the order its features first occur, as for a
        message alone: a message scores the same in a page of one or of a hundred.
        """
        counted = [Counter(ids) for ids in page_ids]  # first-occurrence order (a dict)
        lengths = [len(c) for c in counted]
        total = sum(lengths)
        rows = np.fromiter(chain.from_iterable(counted), dtype=np.intp, count=total)
        counts = np.fromiter(chain.from_iterable(c.values() for c in counted),
                             dtype=np.float32, count=total)
        values: FloatArray = ((1.0 + np.log(counts)) * self.idf[rows]).astype(np.float32)
        starts = list(accumulate(lengths, initial=0))
        for start, end in pairwise(starts):
            if end > start:
                own = values[start:end]
                norm = float(np.sqrt(own @ own))
                if norm > 0:
                    own /= norm
        return _Page(rows, values, starts)

    def predict(self, text: str, matches: Matches | None = None) -> Prediction:
        """Category and urgency probabilities, the flags raised and their evidence.

        ``matches`` are the lexicon's matches in ``text`` (the model was trained with them).
        """
        return self.predict_many([(text, matches)])[0]

    def predict_many(self, items: Sequence[tuple[str, Matches | None]]) -> list[Prediction]:
        """:meth:`predict` for each (text, matches) of a page, in one product over the page.

        Each prediction is the one :meth:`predict` gives for that message alone (the
        message's own features are summed in their own order, whatever else is in the page).
        """
        if not items:
            return []
        page = self._vectorise_page([self._feature_ids(text, m) for text, m in items])
        # One gather for the page; then each message's own product, as for one message.
        weights = self._stacked[page.rows]
        raw = np.zeros((len(items), self._stacked.shape[1]), dtype=np.float32)
        for i, (start, end) in enumerate(pairwise(page.starts)):
            if end > start:
                raw[i] = page.values[start:end] @ weights[start:end]
        cat = self.heads["category"]
        urg = self.heads["urgency"]
        cat_all = cat.calibrate_many(raw[:, self._slices["category"]])
        urg_all = urg.calibrate_many(raw[:, self._slices["urgency"]])
        thresholds = [self.thresholds.get(f, 0.5) for f in urg.labels]
        out: list[Prediction] = []
        for i, (cat_p, urg_p) in enumerate(zip(cat_all.tolist(), urg_all.tolist(),
                                               strict=True)):
            urgency = dict(zip(urg.labels, urg_p, strict=True))
            urgent = tuple(f for f, p, t in zip(urg.labels, urg_p, thresholds, strict=True)
                           if p >= t)
            evidence: dict[str, tuple[str, ...]] = {}
            if urgent:
                segment = slice(page.starts[i], page.starts[i + 1])
                rows, values = page.rows[segment], page.values[segment]
                evidence = {f: self._evidence(urg, urg.labels.index(f), rows, values)
                            for f in urgent}
            out.append(Prediction(
                category=dict(zip(cat.labels, cat_p, strict=True)),
                urgency=urgency,
                urgent=urgent,
                evidence=evidence,
            ))
        return out

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
