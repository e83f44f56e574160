"""Evaluation: ``python -m tone.eval [--check] [--errors] [--folds N] [--file PATH]``.

``make eval`` runs it.

On the corpus (``tone/data/corpus.jsonl``): a model fitted on the train split scores the
test split, whose families (situations) it never saw; then cross-validation over families
(each fold scored by a model fitted on the other folds). Then the shipped model on the
sanity set (``tone/data/eval/sanity.jsonl``, written apart and never trained on), its
agreement with agents' corrections, and ``analyse()`` timing.

Figures: per-category precision/recall/F1, urgency precision/recall per flag, personal
data per kind (exact spans: kind, start and end equal; and same kind overlapping),
language accuracy and sentiment-label accuracy.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from tone import corpus
from tone.analyzer import Analyzer, get_analyzer
from tone.types import CATEGORIES, URGENCY_FLAGS

TARGETS: dict[str, float] = {
    "category_macro_f1": 0.85,
    "urgency_recall": 0.97,
    "urgency_precision": 0.8,
    "pii_recall": 0.99,
    "pii_precision": 0.95,
    "language_accuracy": 0.98,
}


@dataclass
class PRF:
    """Counts for precision / recall / F1."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 1.0 when nothing was expected."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class SplitReport:
    """All figures for one split."""

    split: str
    n: int = 0
    category: dict[str, PRF] = field(default_factory=dict)
    urgency: dict[str, PRF] = field(default_factory=dict)
    language_correct: int = 0
    pii_exact: PRF = field(default_factory=PRF)
    pii_overlap: PRF = field(default_factory=PRF)
    pii_by_kind: dict[str, PRF] = field(default_factory=dict)
    pii_overlap_by_kind: dict[str, PRF] = field(default_factory=dict)
    sentiment_correct: int = 0
    sentiment_n: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def category_macro_f1(self) -> float:
        """Macro F1 over the categories present in the gold labels or predictions."""
        used = [prf for prf in self.category.values() if prf.tp + prf.fn + prf.fp]
        return sum(p.f1 for p in used) / len(used) if used else 0.0

    @property
    def urgency_total(self) -> PRF:
        """Micro-averaged urgency counts over all flags."""
        total = PRF()
        for prf in self.urgency.values():
            total.tp += prf.tp
            total.fp += prf.fp
            total.fn += prf.fn
        return total

    @property
    def language_accuracy(self) -> float:
        """Share of messages whose language was detected correctly."""
        return self.language_correct / self.n if self.n else 0.0

    def figures(self) -> dict[str, float]:
        """The headline figures compared with :data:`TARGETS`."""
        return {
            "category_macro_f1": self.category_macro_f1,
            "urgency_recall": self.urgency_total.recall,
            "urgency_precision": self.urgency_total.precision,
            "pii_recall": self.pii_exact.recall,
            "pii_precision": self.pii_exact.precision,
            "language_accuracy": self.language_accuracy,
        }


SANITY = Path(__file__).resolve().parent / "data" / "eval" / "sanity.txt"
_MARK_RE = re.compile(r"\[\[(\w+):(.+?)\]\]")


def load_sanity_text(path: Path) -> list[dict[str, Any]]:
    """Read a hand-labelled ``.txt`` set: ``lang|category|flags|sentiment|text`` per line,
    personal data marked ``[[kind:value]]`` in the text, ``#`` comments."""
    rows: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        lang, category, flags, sentiment, marked = line.split("|", 4)
        text, pii, pos = "", [], 0
        for m in _MARK_RE.finditer(marked):
            text += marked[pos : m.start()]
            pii.append({"kind": m.group(1), "start": len(text),
                        "end": len(text) + len(m.group(2))})
            text += m.group(2)
            pos = m.end()
        text += marked[pos:]
        rows.append({"id": f"{path.stem}-{len(rows) + 1:03d}", "text": text, "language": lang,
                     "category": category, "sentiment": sentiment, "pii": pii,
                     "urgency": [f for f in flags.split(",") if f and f != "-"],
                     "split": path.stem})
    return rows


def default_path() -> Path:
    """Location of the bundled evaluation set."""
    return Path(str(resources.files("tone").joinpath("data", "eval", "mentions.jsonl")))


def load_mentions(path: Path | None = None) -> list[dict[str, Any]]:
    """Read a labelled set: JSON lines, or the ``.txt`` form of :func:`load_sanity_text`."""
    if path is not None and path.suffix == ".txt":
        return load_sanity_text(path)
    with open(path or default_path(), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def evaluate(
    rows: Iterable[dict[str, Any]], split: str, analyzer: Analyzer | None = None
) -> SplitReport:
    """Score ``analyzer`` on the rows of one split ("tune", "heldout" or "all")."""
    analyzer = analyzer or get_analyzer()
    report = SplitReport(split)
    report.category = {c: PRF() for c in CATEGORIES}
    report.urgency = {f: PRF() for f in URGENCY_FLAGS}
    for row in rows:
        if split != "all" and row.get("split") != split:
            continue
        row.setdefault("id", row.get("family", "?"))
        report.n += 1
        result = analyzer.analyse(row["text"])
        gold_cat, pred_cat = row["category"], result.category
        if gold_cat == pred_cat:
            report.category[gold_cat].tp += 1
        else:
            report.category[gold_cat].fn += 1
            report.category[pred_cat].fp += 1
            report.errors.append(f"{row['id']} category {gold_cat}->{pred_cat}: {row['text']}")
        gold_u, pred_u = set(row["urgency"]), set(result.urgency_names)
        for flag in URGENCY_FLAGS:
            prf = report.urgency[flag]
            prf.tp += flag in gold_u and flag in pred_u
            prf.fn += flag in gold_u and flag not in pred_u
            prf.fp += flag in pred_u and flag not in gold_u
        if gold_u != pred_u:
            report.errors.append(
                f"{row['id']} urgency {sorted(gold_u)}->{sorted(pred_u)}: {row['text']}"
            )
        if result.language == row["language"]:
            report.language_correct += 1
        else:
            report.errors.append(
                f"{row['id']} language {row['language']}->{result.language}: {row['text']}"
            )
        if "sentiment" in row:
            report.sentiment_n += 1
            report.sentiment_correct += result.sentiment_label == row["sentiment"]
        _score_pii(report, row, [(p.kind, p.start, p.end) for p in result.pii])
    return report


def _score_pii(report: SplitReport, row: dict[str, Any], pred: list[tuple[str, int, int]]) -> None:
    gold = [(p["kind"], p["start"], p["end"]) for p in row["pii"]]
    gold_set, pred_set = set(gold), set(pred)
    report.pii_exact.tp += len(gold_set & pred_set)
    report.pii_exact.fn += len(gold_set - pred_set)
    report.pii_exact.fp += len(pred_set - gold_set)
    for kind, start, end in gold_set | pred_set:
        prf = report.pii_by_kind.setdefault(kind, PRF())
        prf.tp += (kind, start, end) in gold_set and (kind, start, end) in pred_set
        prf.fn += (kind, start, end) in gold_set and (kind, start, end) not in pred_set
        prf.fp += (kind, start, end) in pred_set and (kind, start, end) not in gold_set

    def overlaps(a: tuple[str, int, int], pool: Sequence[tuple[str, int, int]]) -> bool:
        return any(a[0] == b[0] and a[1] < b[2] and b[1] < a[2] for b in pool)

    for g in gold_set:
        prf = report.pii_overlap_by_kind.setdefault(g[0], PRF())
        if overlaps(g, pred):
            prf.tp += 1
        else:
            prf.fn += 1
    for p in pred_set:
        if not overlaps(p, gold):
            report.pii_overlap_by_kind.setdefault(p[0], PRF()).fp += 1
    report.pii_overlap.tp += sum(1 for g in gold_set if overlaps(g, pred))
    report.pii_overlap.fn += sum(1 for g in gold_set if not overlaps(g, pred))
    report.pii_overlap.fp += sum(1 for p in pred_set if not overlaps(p, gold))
    for item in sorted(gold_set ^ pred_set, key=lambda t: t[1]):
        side = "missed" if item in gold_set else "spurious"
        report.errors.append(
            f"{row['id']} pii {side} {item[0]} {row['text'][item[1] : item[2]]!r}: {row['text']}"
        )


def format_report(report: SplitReport) -> str:
    """Human-readable table for one split."""
    lines = [f"== split: {report.split} ({report.n} messages) =="]
    lines.append(f"{'category':<12}{'prec':>7}{'recall':>8}{'f1':>7}{'support':>9}")
    for cat, prf in report.category.items():
        lines.append(
            f"{cat:<12}{prf.precision:>7.3f}{prf.recall:>8.3f}{prf.f1:>7.3f}{prf.tp + prf.fn:>9}"
        )
    lines.append(f"category macro-F1: {report.category_macro_f1:.3f}")
    lines.append(f"{'urgency':<15}{'prec':>7}{'recall':>8}{'support':>9}")
    for flag, prf in report.urgency.items():
        lines.append(f"{flag:<15}{prf.precision:>7.3f}{prf.recall:>8.3f}{prf.tp + prf.fn:>9}")
    total = report.urgency_total
    lines.append(
        f"urgency overall: precision {total.precision:.3f} recall {total.recall:.3f} "
        f"(support {total.tp + total.fn})"
    )
    lines.append(f"language accuracy: {report.language_accuracy:.3f}")
    if report.sentiment_n:
        lines.append(f"sentiment label accuracy: "
                     f"{report.sentiment_correct / report.sentiment_n:.3f} ({report.sentiment_n})")
    ex, ov = report.pii_exact, report.pii_overlap
    lines.append(
        f"personal data (exact kind+start+end): precision {ex.precision:.3f} "
        f"recall {ex.recall:.3f} (gold spans {ex.tp + ex.fn}, predicted {ex.tp + ex.fp})"
    )
    lines.append(
        f"personal data (same kind, overlapping): precision {ov.precision:.3f} "
        f"recall {ov.recall:.3f}"
    )
    for kind, prf in sorted(report.pii_by_kind.items()):
        ovl = report.pii_overlap_by_kind.get(kind, PRF())
        lines.append(
            f"  {kind:<9} exact: precision {prf.precision:.3f} recall {prf.recall:.3f}; "
            f"overlapping: precision {ovl.precision:.3f} recall {ovl.recall:.3f} "
            f"(support {prf.tp + prf.fn})"
        )
    return "\n".join(lines)


def missed_targets(report: SplitReport) -> list[str]:
    """Names of the targets this report does not reach."""
    figures = report.figures()
    return [name for name, target in TARGETS.items() if figures[name] < target]


def timing(texts: Sequence[str], analyzer: Analyzer, passes: int = 3,
           clock: Callable[[], int] = time.perf_counter_ns) -> tuple[float, float]:
    """analyse() p50 and p99 in milliseconds over ``texts`` (after one warm-up pass).

    ``clock`` is wall time by default; ``time.thread_time_ns`` gives the CPU time of the
    calls, the fairer figure on a machine shared with other work.
    """
    for text in texts:
        analyzer.analyse(text)
    times: list[int] = []
    for _ in range(passes):
        for text in texts:
            t0 = clock()
            analyzer.analyse(text)
            times.append(clock() - t0)
    times.sort()
    return times[len(times) // 2] / 1e6, times[min(len(times) - 1, int(len(times) * 0.99))] / 1e6


def _merge(into: SplitReport, part: SplitReport) -> None:
    into.n += part.n
    into.language_correct += part.language_correct
    into.sentiment_correct += part.sentiment_correct
    into.sentiment_n += part.sentiment_n
    for name in ("category", "urgency", "pii_by_kind", "pii_overlap_by_kind"):
        target, source = getattr(into, name), getattr(part, name)
        for key, prf in source.items():
            acc = target.setdefault(key, PRF())
            acc.tp += prf.tp
            acc.fp += prf.fp
            acc.fn += prf.fn
    for name in ("pii_exact", "pii_overlap"):
        acc, prf = getattr(into, name), getattr(part, name)
        acc.tp += prf.tp
        acc.fp += prf.fp
        acc.fn += prf.fn
    into.errors += part.errors


def cross_validate(rows: Sequence[dict[str, Any]], folds: int) -> SplitReport:
    """Cross-validation over families: each fold scored by a model fitted on the others."""
    from sklearn.model_selection import GroupKFold

    from tone.train import fit, legacy_rows

    report = SplitReport(f"cross-validation over families ({folds} folds)")
    report.category = {c: PRF() for c in CATEGORIES}
    report.urgency = {f: PRF() for f in URGENCY_FLAGS}
    always = legacy_rows() + corpus.load_extra()
    groups = [r["family"] for r in rows]
    splits = GroupKFold(n_splits=folds).split(rows, groups=groups)
    for k, (train_idx, test_idx) in enumerate(splits):
        model = fit([rows[i] for i in train_idx] + always)
        part = evaluate([rows[i] for i in test_idx], "all", Analyzer(model=model))
        _merge(report, part)
        print(f"  fold {k + 1}/{folds}: {part.n} messages, macro-F1 "
              f"{part.category_macro_f1:.3f}", file=sys.stderr, flush=True)
    return report


def agreement(analyzer: Analyzer) -> str:
    """How often the analyser agrees with agents' corrections (tone/data/corrections/)."""
    rows = corpus.load_extra()
    if not rows:
        return ("agreement with agents' corrections: none exported yet "
                "(flask --app wsgi triage export -o tone/data/corrections/export.jsonl)")
    cat = sum(analyzer.analyse(r["text"]).category == r["category"] for r in rows)
    urg = sum(set(analyzer.analyse(r["text"]).urgency_names) == set(r["urgency"]) for r in rows)
    return (f"agreement with {len(rows)} agents' corrections (also trained on): category "
            f"{cat / len(rows):.3f}, urgency flags {urg / len(rows):.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures; with --check, exit 1 if a test-split target is missed."""
    parser = argparse.ArgumentParser(prog="python -m tone.eval", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if a test target fails")
    parser.add_argument("--file", type=Path, default=None,
                        help="score the shipped model on this labelled JSONL file only")
    parser.add_argument("--errors", action="store_true", help="list the misclassified messages")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (0: skip)")
    args = parser.parse_args(argv)
    if args.file:
        report = evaluate(load_mentions(args.file), "all", get_analyzer())
        print(format_report(report))
        if args.errors:
            print("\n".join(report.errors))
        return 1 if args.check and missed_targets(report) else 0

    from tone.train import fit, training_rows

    rows = corpus.load_corpus()
    print(f"corpus: {len(rows)} messages, {len({r['family'] for r in rows})} families "
          f"({sum(r['split'] == 'test' for r in rows)} test messages in families never "
          f"trained on)\n")
    model = fit(training_rows(include_test=False))
    held_out = evaluate([r for r in rows if r["split"] == "test"], "all", Analyzer(model=model))
    held_out.split = "test split (families held out, model fitted on the train split)"
    print(format_report(held_out))
    if args.errors:
        print("\n".join(held_out.errors))
    print()
    if args.folds > 1:
        cv = cross_validate(rows, args.folds)
        print(format_report(cv))
        print()
    shipped = get_analyzer()
    sanity_path = SANITY
    if sanity_path.exists():
        sanity = evaluate(load_mentions(sanity_path), "all", shipped)
        sanity.split = "sanity set (written apart, never trained or tuned on; shipped model)"
        print(format_report(sanity))
        if args.errors:
            print("\n".join(sanity.errors))
        print()
    print(agreement(shipped))
    sample = [r["text"] for r in rows[:: max(1, len(rows) // 600)]]
    p50, p99 = timing(sample, shipped)
    c50, c99 = timing(sample, shipped, clock=time.thread_time_ns)
    print(f"analyse() p50 {p50:.3f} ms, p99 {p99:.3f} ms wall; CPU time p50 {c50:.3f} ms, "
          f"p99 {c99:.3f} ms (target p99 <= 1 ms)")
    missed = missed_targets(held_out)
    targets = ", ".join(f"{k} >= {v}" for k, v in TARGETS.items())
    print(f"test-split targets ({targets}): {'MISSED ' + str(missed) if missed else 'all met'}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
