"""Evaluation on the labelled mentions: ``python -m tone.eval [--check] [--file PATH]``.

Personal data is scored on exact spans: a predicted span counts as correct only when
kind, start and end all equal a labelled span (an overlap-based figure, same kind and
any character overlap, is printed too for information).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from tone.analyzer import Analyzer, get_analyzer
from tone.types import CATEGORIES, URGENCY_FLAGS

TARGETS: dict[str, float] = {
    "category_macro_f1": 0.85,
    "urgency_recall": 0.97,
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


def default_path() -> Path:
    """Location of the bundled evaluation set."""
    return Path(str(resources.files("tone").joinpath("data", "eval", "mentions.jsonl")))


def load_mentions(path: Path | None = None) -> list[dict[str, Any]]:
    """Read the JSON-lines evaluation set."""
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
        lines.append(
            f"  {kind:<9} precision {prf.precision:.3f} recall {prf.recall:.3f} "
            f"(support {prf.tp + prf.fn})"
        )
    return "\n".join(lines)


def missed_targets(report: SplitReport) -> list[str]:
    """Names of the targets this report does not reach."""
    figures = report.figures()
    return [name for name, target in TARGETS.items() if figures[name] < target]


def main(argv: Sequence[str] | None = None) -> int:
    """Print tune and held-out figures; with --check, exit 1 if a held-out target is missed."""
    parser = argparse.ArgumentParser(prog="python -m tone.eval", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if a held-out target fails")
    parser.add_argument("--file", type=Path, default=None, help="evaluation JSONL file")
    parser.add_argument("--errors", action="store_true", help="list the misclassified messages")
    parser.add_argument(
        "--split", choices=["tune", "heldout"], default=None, help="report only this split"
    )
    args = parser.parse_args(argv)
    rows = load_mentions(args.file)
    analyzer = get_analyzer()
    reports = {}
    for split in ("tune", "heldout"):
        if args.split and split != args.split:
            continue
        reports[split] = evaluate(rows, split, analyzer)
        print(format_report(reports[split]))
        if args.errors:
            print("\n".join(reports[split].errors))
        print()
    if "heldout" in reports:
        missed = missed_targets(reports["heldout"])
        targets = ", ".join(f"{k} >= {v}" for k, v in TARGETS.items())
        print(f"held-out targets ({targets}): {'MISSED ' + str(missed) if missed else 'all met'}")
        if args.check and missed:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
