"""CLI (python -m tone), evaluation targets and the no-download guarantee."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tone.eval import SANITY, TARGETS, evaluate, load_mentions

ROOT = Path(__file__).resolve().parents[2]


def run_module(module, stdin="", env=None, args=()):
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def test_cli_scores_lines_and_survives_malformed_ones():
    lines = [
        json.dumps(
            {
                "text": "@free compte piraté, appelez le 06 12 34 56 78",
                "followers": 5000,
                "segment": "professional",
                "waited_seconds": 1200,
            }
        ),
        "this is not json",
        json.dumps({"followers": 3}),
        "",
        json.dumps(["a", "list"]),
        json.dumps({"text": "thanks a lot!", "followers": "many"}),
        json.dumps({"text": "my parcel never arrived"}),
    ]
    proc = run_module("tone", "\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == 6  # the blank line is skipped
    first = out[0]
    assert first["language"] == "fr"
    assert first["category"] == "account"
    assert first["urgency"] == [{"name": "hacked_account", "triggers": ["pirate"]}]
    assert first["pii"] == [{"kind": "phone", "start": 32, "end": 46, "text": "06 12 34 56 78"}]
    assert 0 <= first["priority"] <= 100
    assert {"polarity", "subjectivity"} <= set(first)
    assert [("error" in o) for o in out] == [False, True, True, True, True, False]
    assert out[1]["line"] == 2
    assert out[-1]["category"] == "delivery"


def test_sanity_set_figures_stay_near_what_was_measured():
    """The shipped model on the sanity set, written apart and never trained on.

    The floors sit a little under the figures measured when the model was built (see
    tone/README.md): a change that loses ground on unseen messages fails here.
    """
    report = evaluate(load_mentions(SANITY), "all")
    assert report.n >= 140
    figures = report.figures()
    assert figures["category_macro_f1"] >= 0.75, figures
    assert figures["urgency_recall"] >= 0.9, figures
    assert figures["pii_recall"] >= TARGETS["pii_recall"], figures
    assert figures["pii_precision"] >= TARGETS["pii_precision"], figures
    assert figures["language_accuracy"] >= TARGETS["language_accuracy"], figures


def test_legacy_evaluation_set_shape():
    rows = load_mentions()
    assert len(rows) >= 300
    langs = [r["language"] for r in rows]
    fr, en = langs.count("fr"), langs.count("en")
    assert 0.5 < fr / (fr + en) < 0.7
    assert langs.count("other") >= 10
    for r in rows:
        for span in r["pii"]:
            assert 0 <= span["start"] < span["end"] <= len(r["text"])
    assert sum(len(r["pii"]) for r in rows) >= 100


def test_eval_cli_prints_every_figure():
    proc = run_module("tone.eval", args=("--file", str(SANITY)))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for needle in ("category macro-F1", "praise", "safety", "urgency overall",
                   "language accuracy", "sentiment label accuracy", "phone", "address"):
        assert needle in out, needle


def test_no_corpus_download(tmp_path):
    # Point NLTK and HOME at an empty directory and forbid downloads: analysis must still work.
    env = dict(os.environ, NLTK_DATA=str(tmp_path), HOME=str(tmp_path))
    code = (
        "import nltk\n"
        "def boom(*a, **k): raise SystemExit('download attempted')\n"
        "nltk.download = boom\n"
        "from tone import get_analyzer\n"
        "a = get_analyzer().analyse('Service horrible, colis perdu. Terrible support!')\n"
        "print(a.polarity < 0)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"
