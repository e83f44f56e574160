"""The phone search skips digit stretches already taken (an IBAN, a card): the same spans
as running libphonenumber's matcher on them, over the whole corpus and the evaluation set."""

from __future__ import annotations

import json

import pytest

from tone import pii
from tone.corpus import OUTPUT as CORPUS
from tone.eval import load_mentions


def _texts() -> list[str]:
    with CORPUS.open(encoding="utf-8") as handle:
        corpus = [json.loads(line)["text"] for line in handle if line.strip()]
    return corpus + [row["text"] for row in load_mentions()]


def test_skipping_covered_stretches_changes_no_span(monkeypatch: pytest.MonkeyPatch):
    texts = _texts()
    detector = pii.PiiDetector()
    fast = [detector.detect(t) for t in texts]
    skipped = sum(pii._covered(m.start(), m.end(),
                               [(s.start, s.end) for s in spans if s.kind in ("iban", "card")])
                  for t, spans in zip(texts, fast, strict=True)
                  for m in pii._PHONE_STRETCH_RE.finditer(t))
    assert skipped >= 20  # the corpus has IBANs and cards for the shortcut to skip
    monkeypatch.setattr(pii, "_covered", lambda start, end, taken: False)
    assert [detector.detect(t) for t in texts] == fast


@pytest.mark.parametrize(("start", "end", "taken", "expected"), [
    (0, 10, [(0, 10)], True),
    (2, 8, [(0, 5), (5, 10)], True),
    (2, 8, [(5, 10), (0, 5)], True),
    (0, 10, [(0, 4), (5, 10)], False),
    (0, 10, [], False),
    (3, 6, [(0, 4)], False),
])
def test_covered(start, end, taken, expected):
    assert pii._covered(start, end, taken) is expected
