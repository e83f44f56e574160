"""pattern's sentence tokenizer (as shipped in TextBlob and textblob-fr), made fast.

TextBlob's sentiment lexicons tokenise every text with pattern's ``find_tokens``, which
was half the cost of sentiment and a sixth of the whole analysis: it runs some thirty
``re.sub`` calls with uncompiled patterns per text, then walks every token in Python.
This is the same algorithm, step for step, with the replacements applied by
``str.replace`` when they are plain strings (the same result as ``re.sub`` on a pattern
without special characters), the patterns compiled once, and plain words skipping the
punctuation loop. Its output is the library's to the character, which
``tests/tone/test_fast_paths.py`` and ``tests/tone/test_tokens_fast.py`` check against
the library itself, and it takes the library's own tables (punctuation, abbreviations,
contractions, emoticons), so a new release of either package keeps its data.

Where it departs from the library's code, it does so only where the result is provably
the same:

* the contraction steps are skipped at once when the text holds none of the characters
  every step needs (then no step can change the text, so no later step can either);
* the whitespace collapse and ``TOKEN.findall`` are one ``str.split()``: after ``\\s+``
  becomes one space, ``(\\S+)\\s`` finds exactly the maximal non-space runs, and
  ``str.split`` and ``re``'s ``\\s`` agree on what a space is (both are
  ``str.isspace``);
* each token's punctuation split depends on the token alone, so it is remembered;
* the English "balanced quotes" test always counts quotes in a sentence that is still
  empty (the library extends it only after the test), so it always stops at ``'`` and
  ``"``: those are simply not closers there;
* the emoticon substitution is skipped in a sentence with no "a b" where "ab" is two
  consecutive characters of an emoticon: the substitution only ever deletes such spaces
  and otherwise puts every match back unchanged.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any

_SPECIAL = re.compile(r"[.^$*+?{}\[\]\\|()]")
_GROUP_THEN_CHAR = re.compile(r"\([^()\\]*\)([^.^$*+?{}\[\]\\|()])")
# Distinct tokens remembered per tokenizer; social media has no end of new words, so the
# memory is dropped when full rather than grown without bound.
_CACHE_LIMIT = 50_000


class SentenceTokenizer:
    """``find_tokens`` of one pattern module (English or French), returning its sentences."""

    def __init__(self, module: ModuleType, replace: Mapping[str, str],
                 abbreviations: Iterable[str], *, balanced_quotes: bool,
                 closers: tuple[str, ...], rsquo: bool) -> None:
        """Take the tables of ``module`` (the pattern module behind TextBlob or textblob-fr).

        ``balanced_quotes`` and ``closers`` are where the two ports of the library differ:
        the English one stops a sentence's trailing punctuation at a balanced quote.
        ``rsquo`` restores textblob-fr's "&rsquo ;" placeholder as its parser does.
        """
        punctuation: str = module.PUNCTUATION
        self._lead = tuple(punctuation.replace(".", ""))
        self._trail = (*self._lead, ".")
        self._replace = frozenset(replace)
        self._abbreviations = frozenset(abbreviations)
        # (text that must occur for the step to change anything, the step)
        self._steps: list[tuple[str, Any]] = []
        for pattern, repl in replace.items():
            if _SPECIAL.search(pattern) is None and "\\" not in repl:
                self._steps.append((pattern, repl))
            else:
                # "(l|c|d|...)’": a group then one plain character, which must occur.
                tail = _GROUP_THEN_CHAR.fullmatch(pattern)
                needed = tail.group(1) if tail else ""
                compiled = re.compile(pattern)
                self._steps.append((needed, lambda s, c=compiled, r=repl: c.sub(r, s)))
        # One search tells whether any step could apply (None: always run the steps).
        self._triggers = _triggers([needed for needed, _ in self._steps])
        self._abbr = (module.RE_ABBR1.match, module.RE_ABBR2.match, module.RE_ABBR3.match)
        self._eos: str = module.EOS
        self._ends = frozenset(("...", ".", "!", "?", self._eos))
        if balanced_quotes:
            # The library's balance test counts the quote in a sentence list it has not
            # filled yet, finds 0 (even) and stops: a straight quote never closes there.
            closers = tuple(c for c in closers if c not in ("'", '"'))
        self._closers = frozenset(closers)
        self._sarcasm = module.RE_SARCASM.sub
        self._emoticons = module.RE_EMOTICONS.sub
        self._maybe_emoticon = _emoticon_precheck(module)
        self._rsquo = rsquo
        self._linebreak = re.compile(r"\n{2,}")
        self._cache: dict[str, str | tuple[str, ...]] = {}

    def __call__(self, string: str) -> list[str]:
        """The sentences of ``string``, each a space-separated string of tokens."""
        triggers = self._triggers
        if triggers is None or triggers(string) is not None:
            for pattern, step in self._steps:
                if pattern in string:
                    string = (string.replace(pattern, step) if isinstance(step, str)
                              else step(string))
        string = (string.replace("“", " “ ").replace("”", " ” ").replace("‘", " ‘ ")
                  .replace("’", " ’ ").replace("'", " ' ").replace('"', ' " '))
        if "\n" in string:
            string = string.replace("\r\n", "\n")
            if "\n\n" in string:
                string = self._linebreak.sub(f" {self._eos} ", string)
        # The library's "\s+" -> " " then TOKEN.findall(string + " "): the non-space runs.
        return self._sentences(self._split(string.split()))

    def _split(self, raw: list[str]) -> list[str]:
        cache = self._cache
        get = cache.get
        tokens: list[str] = []
        append, extend = tokens.append, tokens.extend
        for t in raw:
            parts = get(t)
            if parts is None:
                parts = self._split_token(t)
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[t] = parts
            if parts.__class__ is str:
                append(parts)
            else:
                extend(parts)
        return tokens

    def _split_token(self, t: str) -> str | tuple[str, ...]:
        """The library's punctuation loops on one token: the token itself if untouched."""
        lead, trail, replace = self._lead, self._trail, self._replace
        if t in replace or not (t.startswith(lead) or t.endswith(trail)):
            return t  # a plain word: the library's loops would not touch it
        head: list[str] = []
        tail: list[str] = []
        while t.startswith(lead) and t not in replace:
            head.append(t[0])
            t = t[1:]
        while t.endswith(trail) and t not in replace:
            if t.endswith(lead):
                tail.append(t[-1])
                t = t[:-1]
            if t.endswith("..."):
                tail.append("...")
                t = t[:-3].rstrip(".")
            if t.endswith("."):
                if t in self._abbreviations or any(m(t) is not None for m in self._abbr):
                    break
                tail.append(t[-1])
                t = t[:-1]
        if t != "":
            head.append(t)
        head.extend(reversed(tail))
        return tuple(head)

    def _sentences(self, tokens: list[str]) -> list[str]:
        ends, closers, eos = self._ends, self._closers, self._eos
        segments: list[list[str]] = []
        n = len(tokens)
        i = 0
        following = 0  # the library never tests the token its closers loop stopped at
        if not ends.isdisjoint(tokens):
            for j in [j for j, t in enumerate(tokens) if t in ends]:
                if j < following:
                    continue  # taken in by the previous sentence's closers
                while j < n and tokens[j] in closers:
                    j += 1
                segments.append([t for t in tokens[i:j] if t != eos])
                i = j
                following = j + 1
        segments.append(tokens[i:])
        out: list[str] = []
        for words in segments:
            if words:
                sentence = " ".join(words)
                if "(" in sentence:  # the sarcasm mark is "(!)", spaced or not
                    sentence = self._sarcasm("(!)", sentence)
                if self._maybe_emoticon(sentence) is not None:
                    sentence = self._emoticons(_glue, sentence)
                if self._rsquo:
                    sentence = sentence.replace("&rsquo ;", "’")
                out.append(sentence)
        return out


def _glue(m: re.Match[str]) -> str:
    return m.group(1).replace(" ", "") + m.group(2)


def _triggers(needed: list[str]) -> Callable[[str], Any] | None:
    """A search for characters one of which every step needs (None: some needs nothing).

    Each step changes the text only if its needed text occurs, and that text holds one of
    these characters; so a text without any of them is left as it is by the first step,
    hence by the next, and so on: by every step.
    """
    if not all(needed):
        return None
    chosen: set[str] = set()
    for text in needed:
        if not chosen.intersection(text):
            # Prefer a character many steps share ("'"), to keep the test short.
            chosen.add(max(text, key=lambda c: sum(c in other for other in needed)))
    return re.compile(f"[{''.join(map(re.escape, sorted(chosen)))}]").search


def _emoticon_precheck(module: ModuleType) -> Callable[[str], Any]:
    """A search that finds something in every sentence the emoticon sub would change.

    ``RE_EMOTICONS`` puts each match back with the spaces inside it removed, so it changes
    only a sentence with a space between two consecutive characters of an emoticon. Built
    from ``EMOTICONS`` the library's way; if that does not give the library's pattern,
    every sentence goes through the sub.
    """
    faces = [face for group in module.EMOTICONS.values() for face in group]
    alternatives = "|".join(r" ?".join(re.escape(c) for c in face) for face in faces)
    rebuilt = rf"({alternatives})($|\s)"
    if rebuilt != module.RE_EMOTICONS.pattern or module.RE_EMOTICONS.flags != re.UNICODE:
        return lambda sentence: True
    pairs = sorted({face[k] + " " + face[k + 1] for face in faces
                    for k in range(len(face) - 1)})
    return re.compile("|".join(map(re.escape, pairs))).search


def library_module(lexicon: Any) -> ModuleType:
    """The pattern module a sentiment lexicon comes from, which holds its tables.

    Reached from the public lexicon objects (``textblob.en.sentiment`` and
    ``textblob_fr.fr.sentiment``, whose class's base is pattern's ``Sentiment``) rather
    than imported by name: the packages do not export these tables, and the tests compare
    every result with the library's own.
    """
    for cls in type(lexicon).__mro__:
        module = inspect.getmodule(cls)
        if module is not None and hasattr(module, "EMOTICONS") and hasattr(module, "EOS"):
            return module
    raise RuntimeError("cannot find the sentiment lexicon's module")


def english() -> Callable[[str], list[str]]:
    """TextBlob's English tokenizer."""
    from textblob.en import sentiment

    module = library_module(sentiment)

    closers = ("'", '"', "”", "’", "...", ".", "!", "?", ")", module.EOS)
    return SentenceTokenizer(module, module.replacements, module.ABBREVIATIONS,
                             balanced_quotes=True, closers=closers, rsquo=False)


def french() -> Callable[[str], list[str]]:
    """textblob-fr's French tokenizer (its parser's contractions and abbreviations)."""
    from textblob_fr import fr

    module = library_module(fr.sentiment)

    closers = ("...", ".", "!", "?", ")", "'", '"', "”", "’", module.EOS)
    return SentenceTokenizer(module, fr.replacements, fr.ABBREVIATIONS,
                             balanced_quotes=False, closers=closers, rsquo=True)
