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
    data: dict[str, Any] = json.loads(raw)
    return data


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
    n = len(toks)
    last = len(elems)
    # Words and prefixes are walked in a loop; only a gap branches (recursion).
    while k < last:
        kind, value = elems[k]
        if kind == "g":
            for skip in range(GAP + 1):
                end = _match_from(elems, toks, i + skip, k + 1)
                if end >= 0:
                    return end
            return -1
        if i >= n:
            return -1
        tok = toks[i]
        if not (tok == value if kind == "w" else tok.startswith(value)):
            return -1
        i += 1
        k += 1
    return i


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
        self._exact: dict[str, list[int]] = {}
        self._prefix: dict[str, list[int]] = {}
        self._prefix_lengths: set[int] = set()
        self._where: dict[tuple[str, tuple[Element, ...]], int] = {}
        # token -> indices of the terms that may start at it; word use is skewed, so this
        # spares the prefix probes for nearly every token. Bounded, cleared by add().
        self._starts: dict[str, tuple[int, ...]] = {}

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
            return
        idx = len(self._terms)
        self._where[key] = idx
        self._terms.append((elems, group, float(weight)))
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
        for i, tok in enumerate(toks):
            best: dict[str, tuple[int, int, int]] = {}  # group -> (end, length, term index)
            for idx in self._starting_at(tok):
                elems, group, _weight = self._terms[idx]
                # The first element matched when the term was looked up by this token.
                end = i + 1 if len(elems) == 1 else _match_from(elems, toks, i + 1, 1)
                if end < 0:
                    continue
                rank = best.get(group)
                if rank is None or (end, len(elems)) > rank[:2]:
                    best[group] = (end, len(elems), idx)
            for end, _, idx in best.values():
                if idx not in seen:
                    seen.add(idx)
                    _elems, group, weight = self._terms[idx]
                    out.setdefault(group, {})[" ".join(toks[i:end])] = weight
        return out

    def _starting_at(self, tok: str) -> tuple[int, ...]:
        """The terms whose first element matches ``tok`` (its word, or a prefix of it)."""
        found = self._starts.get(tok)
        if found is None:
            candidates = list(self._exact.get(tok, ()))
            for n in sorted(self._prefix_lengths):
                if n > len(tok):
                    break
                candidates.extend(self._prefix.get(tok[:n], ()))
            if len(self._starts) >= _STARTS_LIMIT:
                self._starts.clear()  # odd tokens (ids, typos) must not grow it forever
            found = self._starts[tok] = tuple(candidates)
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


def brand_index(config: ToneConfig) -> TermIndex | None:
    """A brand's own words alone (``extra_words``, ``extra_urgency``), or None without any.

    The analyzer lets them decide: a brand knows what its words mean better than a model
    trained on other brands' traffic.
    """
    if not config.extra_words and not config.extra_urgency:
        return None
    index = TermIndex()
    for _lang, cat, term, weight in config.extra_words:
        index.add(term, f"cat:{cat}", weight)
    for _lang, flag, term in config.extra_urgency:
        index.add(term, f"urg:{flag}", 1.0)
    return index
