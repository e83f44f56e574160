"""Word lists from the data files, compiled once into accent-insensitive matchers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from tone.config import ToneConfig
from tone.text import fold
from tone.types import CATEGORIES, URGENCY_FLAGS

LEXICON_FILES: tuple[str, ...] = ("fr", "en", "other", "common")


@cache
def load_json(name: str) -> dict[str, Any]:
    """Load ``tone/data/<name>.json`` (cached; treat the result as read-only)."""
    raw = resources.files("tone").joinpath("data", f"{name}.json").read_text(encoding="utf-8")
    return json.loads(raw)


Element = tuple[str, str]  # ("w", word) exact token, ("p", prefix) token prefix, ("g", "") gap

GAP = 4  # a "~" word skips up to this many tokens
_STARTS_LIMIT = 50_000  # distinct tokens remembered by a TermIndex


def parse_term(term: str) -> tuple[Element, ...]:
    """Split a data-file term into token elements.

    ``*`` at the end of a word matches any ending; a ``~`` word is a gap of up to four
    tokens ("argent ~ bloque*" matches "argent est toujours bloqué").
    """
    folded = fold(term.strip())
    parts = [p for p in re.split(r"[^a-z0-9*~\u2000-\U0010ffff]+", folded) if p]
    elems: list[Element] = []
    for part in parts:
        if part == "~":
            if elems and elems[-1][0] != "g":
                elems.append(("g", ""))
        elif part.endswith("*") and len(part) > 1:
            elems.append(("p", part[:-1]))
        else:
            elems.append(("w", part.rstrip("*")))
    while elems and elems[-1][0] == "g":
        elems.pop()
    return tuple(elems)


def _match_from(elems: tuple[Element, ...], toks: list[str], i: int, k: int) -> int:
    """End index (exclusive) of elems[k:] matched at toks[i:], or -1."""
    if k == len(elems):
        return i
    kind, value = elems[k]
    if kind == "g":
        for skip in range(GAP + 1):
            end = _match_from(elems, toks, i + skip, k + 1)
            if end >= 0:
                return end
        return -1
    if i >= len(toks):
        return -1
    tok = toks[i]
    if tok == value if kind == "w" else tok.startswith(value):
        return _match_from(elems, toks, i + 1, k + 1)
    return -1


def _match_plain(elems: tuple[Element, ...], toks: list[str], i: int) -> int:
    """``_match_from(elems, toks, i, 0)`` for a gapless term whose first word matches at
    ``i``: a loop instead of recursion (without a gap, running out of tokens fails)."""
    end = i + len(elems)
    if end > len(toks):
        return -1
    for k in range(1, len(elems)):
        kind, value = elems[k]
        tok = toks[i + k]
        if (tok != value) if kind == "w" else not tok.startswith(value):
            return -1
    return end


# What find() needs of one term, built when the term is added so that the walk reads it
# in one unpacking: (index, group, weight, length, elements, the later words when all
# are exact words and there is no gap else None, has a gap).
_Candidate = tuple[int, str, float, int, tuple[Element, ...], list[str] | None, bool]


def _candidate(idx: int, elems: tuple[Element, ...], group: str, weight: float) -> _Candidate:
    gap = any(kind == "g" for kind, _ in elems)
    words = None if gap or any(kind != "w" for kind, _ in elems[1:]) else [
        value for _, value in elems[1:]
    ]
    return (idx, group, weight, len(elems), elems, words, gap)


def _end(cand: _Candidate, toks: list[str], i: int) -> int:
    """End (exclusive) of candidate ``cand`` matched at ``toks[i]``, whose first word is
    known to match, or -1."""
    _, _, _, n, elems, words, gap = cand
    if n == 1:
        return i + 1
    if words is not None:
        # A short slice at the end of the tokens differs from ``words`` by its length.
        return i + n if toks[i + 1 : i + n] == words else -1
    if gap:
        return _match_from(elems, toks, i, 0)
    return _match_plain(elems, toks, i)


def _record(out: dict[str, dict[str, float]], seen: set[int], cand: _Candidate,
            text: str) -> None:
    """Count a matched term once per message: ``out[group][matched text] = weight``."""
    if cand[0] in seen:
        return
    seen.add(cand[0])
    found = out.get(cand[1])
    if found is None:
        found = out[cand[1]] = {}
    found[text] = cand[2]


class TermIndex:
    """All weighted terms of all groups, indexed by their first token.

    One pass over the tokens finds every group's matches, which is much faster than one
    regex alternation per group. At a given start token only the longest term of each
    group counts, so "merci de" (weight 0) shadows "merci" and "mot de passe" shadows
    "passe"; each distinct term counts once per message.
    """

    def __init__(self) -> None:
        """Create an empty index."""
        self._terms: list[tuple[tuple[Element, ...], str, float]] = []
        self._candidates: list[_Candidate] = []  # per term, see _Candidate
        self._exact: dict[str, list[int]] = {}
        self._prefix: dict[str, list[int]] = {}
        self._prefix_lengths: set[int] = set()
        self._where: dict[tuple[str, tuple[Element, ...]], int] = {}
        # token -> the terms that may start at it. Word use is skewed (a few thousand words
        # make most messages), so this skips the prefix probes for nearly every token.
        # It holds copies of the terms' weights: add() clears it before any change.
        self._starts: dict[str, tuple[_Candidate, ...]] = {}

    def add(self, term: str, group: str, weight: float) -> None:
        """Add ``term`` to ``group``; a repeated term keeps its highest weight."""
        elems = parse_term(term)
        if not elems or elems[0][0] == "g":
            return
        self._starts.clear()
        key = (group, elems)
        if key in self._where:
            idx = self._where[key]
            old = self._terms[idx]
            self._terms[idx] = (elems, group, max(old[2], float(weight)))
            self._candidates[idx] = _candidate(idx, *self._terms[idx])
            return
        idx = len(self._terms)
        self._where[key] = idx
        self._terms.append((elems, group, float(weight)))
        self._candidates.append(_candidate(idx, elems, group, float(weight)))
        kind, value = elems[0]
        if kind == "w":
            self._exact.setdefault(value, []).append(idx)
        else:
            self._prefix.setdefault(value, []).append(idx)
            self._prefix_lengths.add(len(value))

    def find(self, toks: list[str]) -> dict[str, dict[str, float]]:
        """group -> {matched text: weight} over the token list."""
        out: dict[str, dict[str, float]] = {}
        seen: set[int] = set()
        # map() looks the tokens up at C speed; most have no candidate (an empty tuple).
        for i, candidates in enumerate(map(self._starts.get, toks)):
            if not candidates:
                if candidates is not None:
                    continue
                candidates = self._starting_at(toks[i])
                if not candidates:
                    continue
            if len(candidates) == 1:
                # The usual case, and then this candidate is its group's best.
                cand = candidates[0]
                end = i + 1 if cand[3] == 1 else _end(cand, toks, i)
                if end >= 0:
                    _record(out, seen, cand, " ".join(toks[i:end]))
                continue
            best: dict[str, tuple[int, int, _Candidate]] = {}  # group -> (end, length, term)
            for cand in candidates:
                end = i + 1 if cand[3] == 1 else _end(cand, toks, i)
                if end < 0:
                    continue
                group, n = cand[1], cand[3]
                rank = best.get(group)
                if rank is None or end > rank[0] or (end == rank[0] and n > rank[1]):
                    best[group] = (end, n, cand)
            for end, _, cand in best.values():
                _record(out, seen, cand, " ".join(toks[i:end]))
        return out

    def _starting_at(self, tok: str) -> tuple[_Candidate, ...]:
        candidates = list(self._exact.get(tok, ()))
        for n in sorted(self._prefix_lengths):
            if n > len(tok):
                break
            candidates.extend(self._prefix.get(tok[:n], ()))
        if len(self._starts) >= _STARTS_LIMIT:
            self._starts.clear()  # bounded: odd tokens (ids, typos) must not grow it forever
        found = self._starts[tok] = tuple(self._candidates[idx] for idx in candidates)
        return found


@dataclass(frozen=True)
class Lexicon:
    """Indexed category and urgency terms (groups "cat:<name>", "urg:<flag>") and hints."""

    index: TermIndex
    hints: dict[str, frozenset[str]]


def _merge(
    target: dict[str, float], terms: Mapping[str, Any] | Iterable[str], weight: float = 1.0
) -> None:
    items = terms.items() if isinstance(terms, Mapping) else ((t, weight) for t in terms)
    for term, wt in items:
        target[term] = max(float(wt), target.get(term, float("-inf")))


def build_lexicon(config: ToneConfig) -> Lexicon:
    """Merge the built-in data files with a brand's extra words.

    Categories and urgency triggers of every language are combined because mentions mix
    languages ("mon parcel n'est jamais arrivé"), and the terms rarely collide.
    """
    cat_terms: dict[str, dict[str, float]] = {c: {} for c in CATEGORIES}
    urg_terms: dict[str, dict[str, float]] = {f: {} for f in URGENCY_FLAGS}
    hints: dict[str, frozenset[str]] = {}
    for name in LEXICON_FILES:
        data = load_json(name)
        for cat, terms in data.get("categories", {}).items():
            _merge(cat_terms[cat], terms)
        for flag, terms in data.get("urgency", {}).items():
            _merge(urg_terms[flag], terms)
        if data.get("hints"):
            hints[name] = frozenset(fold(w) for w in data["hints"])
    for _lang, cat, term, weight in config.extra_words:
        _merge(cat_terms[cat], {term: weight})
    for _lang, flag, term in config.extra_urgency:
        _merge(urg_terms[flag], [term])
    index = TermIndex()
    for cat, terms in cat_terms.items():
        for term, weight in terms.items():
            index.add(term, f"cat:{cat}", weight)
    for flag, terms in urg_terms.items():
        for term, weight in terms.items():
            index.add(term, f"urg:{flag}", weight)
    return Lexicon(index=index, hints=hints)
