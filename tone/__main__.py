"""Command line: ``python -m tone`` scores JSON lines from stdin, one JSON line out per input.

Input lines: ``{"text": "...", "followers": 1200, "segment": "private", "waited_seconds": 600}``
(only "text" is required). Output lines: language, polarity, subjectivity, category,
urgency (name + triggers), pii (kind, start, end, text) and priority. A line that cannot
be processed yields ``{"line": n, "error": "..."}`` and processing continues. Blank lines
are skipped.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from tone.analyzer import Analyzer, get_analyzer
from tone.priority import priority


def process_line(line: str, number: int, analyzer: Analyzer) -> dict[str, Any]:
    """Score one input line; return the output object (with an "error" key on failure)."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"line": number, "error": f"invalid JSON: {exc.msg}"}
    if not isinstance(item, dict):
        return {"line": number, "error": "expected a JSON object"}
    text = item.get("text")
    if not isinstance(text, str):
        return {"line": number, "error": "missing or non-string 'text'"}
    followers = item.get("followers")
    if followers is not None and (isinstance(followers, bool) or not isinstance(followers, int)):
        return {"line": number, "error": "'followers' must be an integer"}
    segment = item.get("segment", "private")
    if not isinstance(segment, str):
        return {"line": number, "error": "'segment' must be a string"}
    waited = item.get("waited_seconds", 0)
    if isinstance(waited, bool) or not isinstance(waited, int | float):
        return {"line": number, "error": "'waited_seconds' must be a number"}
    analysis = analyzer.analyse(text)
    out: dict[str, Any] = {"line": number}
    if "id" in item:
        out["id"] = item["id"]
    out.update(analysis.to_dict())
    out["priority"] = round(
        priority(analysis, followers=followers, segment=segment, waited_seconds=float(waited)), 2
    )
    return out


def run(lines: Iterable[str], out: TextIO, analyzer: Analyzer | None = None) -> int:
    """Process ``lines``, writing one JSON line each; return the number of errors."""
    analyzer = analyzer or get_analyzer()
    errors = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            result = process_line(line, number, analyzer)
        except Exception as exc:  # one bad message must not stop the stream
            result = {"line": number, "error": f"{type(exc).__name__}: {exc}"}
        errors += "error" in result
        try:
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
        except UnicodeEncodeError:
            # A lone surrogate echoed from the input cannot be written as UTF-8; the
            # ASCII-escaped form always can.
            out.write(json.dumps(result) + "\n")
        out.flush()
    return errors


def main() -> int:
    """Entry point; always exits 0 so a pipeline keeps going on malformed input."""
    run(sys.stdin, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
