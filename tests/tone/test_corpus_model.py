"""The corpus, the family split, the classifier's training and its saved form."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tone import corpus
from tone.analyzer import Analyzer
from tone.labels import sentiment_label
from tone.model import load, save, shipped_model
from tone.train import fit
from tone.types import CATEGORIES, URGENCY_FLAGS


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return corpus.load_corpus()


def test_corpus_is_big_varied_and_mostly_french(rows):
    assert len(rows) >= 2000
    langs = Counter(r["language"] for r in rows)
    assert 0.55 < langs["fr"] / len(rows) < 0.8 and langs["en"] >= 500
    cats = Counter(r["category"] for r in rows)
    assert set(cats) == set(CATEGORIES) and min(cats.values()) >= 80
    flags = Counter(f for r in rows for f in r["urgency"])
    assert set(flags) == set(URGENCY_FLAGS) and min(flags.values()) >= 60
    written = [r for r in rows if r["source"] == "written"]
    assert len(written) >= 850  # independent hand-written lines, each kept as written


def test_split_is_by_family_and_covers_every_label(rows):
    train = {r["family"] for r in rows if r["split"] == "train"}
    test = {r["family"] for r in rows if r["split"] == "test"}
    assert train and test and not train & test
    in_test = [r for r in rows if r["split"] == "test"]
    assert {r["category"] for r in in_test} == set(CATEGORIES)
    assert {f for r in in_test for f in r["urgency"]} == set(URGENCY_FLAGS)


def test_corpus_file_is_what_the_sources_give(rows):
    rebuilt = list(corpus.build(corpus.read_sources()))
    assert rebuilt == rows, "run `make train` (python -m tone.train) after editing sources"


def test_pii_labels_point_at_the_data(rows):
    spans = [(r["text"], p) for r in rows for p in r["pii"]]
    assert len(spans) >= 300
    kinds = Counter(p["kind"] for _t, p in spans)
    assert kinds["phone"] >= 150 and kinds["address"] >= 100
    for text, p in spans:
        assert 0 <= p["start"] < p["end"] <= len(text)
        assert text[p["start"]] not in " ,." and text[p["end"] - 1] not in " ,."


def test_bad_source_header_is_refused(tmp_path: Path):
    (tmp_path / "x.txt").write_text("### fr | shipping | - | f1\nbonjour\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown label"):
        corpus.read_sources(tmp_path)


def test_training_is_reproducible_and_the_saved_model_scores_the_same(rows, tmp_path: Path):
    # A small slice keeps this quick; the same code trains the shipped model.
    families = sorted({r["family"] for r in rows})[::4]
    subset = [r for r in rows if r["family"] in families]
    first, second = fit(subset, folds=2), fit(subset, folds=2)
    for name in first.heads:
        assert np.array_equal(first.heads[name].weights, second.heads[name].weights)
    assert first.thresholds == second.thresholds
    save(first, tmp_path)
    again = load(tmp_path)
    text = "Mon compte a été piraté et mes 300 € sont bloqués"
    p1, p2 = first.predict(text), again.predict(text)
    assert max(p1.category, key=p1.category.get) == max(p2.category, key=p2.category.get)
    assert p1.urgent == p2.urgent
    assert json.loads((tmp_path / "triage.json").read_text())["thresholds"]


def test_shipped_model_is_present_and_used():
    model = shipped_model()
    assert model is not None, "tone/data/model/ is missing: run make train"
    analysis = Analyzer().analyse("mes 400 € sont bloqués depuis trois semaines !!")
    assert "money_blocked" in analysis.urgency_names
    assert analysis.category == "payment"
    assert 0.0 < analysis.category_confidence <= 1.0


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("Mon chargeur a pris feu cette nuit", "safety"),
        ("my e-scooter burst into flames while charging", "safety"),
        ("Intoxication alimentaire après votre plat, toute la famille malade", "safety"),
        ("my $400 has been frozen for three weeks", "money_blocked"),
        ("faux conseiller au téléphone, j'ai perdu 2000 €", "scam"),
        ("someone logged into my account and changed my password", "hacked_account"),
        ("je vais saisir la DGCCRF", "public_threat"),
        ("bande d'incapables", "abuse"),
    ],
)
def test_urgent_messages_are_flagged(analyzer, text, flag):
    analysis = analyzer.analyse(text)
    assert flag in analysis.urgency_names
    flag_obj = next(f for f in analysis.urgency if f.name == flag)
    assert flag_obj.triggers, "the hover needs words to show"


@pytest.mark.parametrize(
    ("polarity", "category", "flags", "text", "expected"),
    [
        (0.16, "dispute", ["public_threat"], "Refund refused… I will go to the DGCCRF",
         "negative"),
        (0.3, "delivery", [], "colis toujours pas reçu, merci", "negative"),
        (0.0, "delivery", [], "Vous livrez en Corse ?", "neutral"),
        (-0.4, "praise", [], "merci, c'était fou", "positive"),
        (0.0, "other", [], "Vous êtes ouverts dimanche ?", "neutral"),
        (0.5, "other", [], "Bonne année à toute l'équipe !", "positive"),
        (-0.5, "other", [], "c'est nul", "negative"),
    ],
)
def test_sentiment_label_reads_the_situation(polarity, category, flags, text, expected):
    assert sentiment_label(polarity, category, flags, text) == expected


def test_analysis_carries_the_label(analyzer):
    out = analyzer.analyse("Remboursement refusé… je vais saisir la DGCCRF").to_dict()
    assert out["sentiment_label"] == "negative"
    assert "category_confidence" in out
