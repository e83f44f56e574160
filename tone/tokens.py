"""pattern's sentence tokenizer (as shipped in TextBlob and textblob-fr), made fast.

TextBlob's sentiment lexicons tokenise every text with pattern's ``find_tokens``, which
was half the cost of sentiment and a sixth of the whole analysis: it runs some thirty
``re.sub`` calls with uncompiled patterns per text, then walks every token in Python.
This is the same algorithm, step for step, with the replacements applied by
``str.replace`` when they are plain strings (the same result as ``re.sub`` on a pattern
without special characters), the patterns compiled once, and plain words skipping the
punctuation loop. Its output is the library's to the character, which
``tests/tone/test_tokens.py`` checks against the library itself, and it takes the
library's own tables (punctuation, abbreviations, contractions, emoticons), so a new
release of either package keeps its data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any

_SPECIAL = re.compile(r"[.^$*+?{}\[\]\\|()]")
_GROUP_THEN_CHAR = re.compile(r"\([^()\\]*\)([^.^$*+?{}\[\]\\|()])")


class SentenceTokenizer:
    """``find_tokens`` of one pattern module (English or French), returning its sentences."""

    def __init__(self, module: ModuleType, replace: Mapping[str, str],
                 abbreviations: Iterable[str], *, balanced_quotes: bool,
                 closers: tuple[str, ...], rsquo: bool) -> None:
        """Take the tables of ``module`` (textblob._text or textblob_fr._text).

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
        self._abbr = (module.RE_ABBR1.match, module.RE_ABBR2.match, module.RE_ABBR3.match)
        self._token = module.TOKEN.findall
        self._eos: str = module.EOS
        self._ends = ("...", ".", "!", "?", self._eos)
        self._closers = closers
        self._balanced = balanced_quotes
        self._sarcasm = module.RE_SARCASM.sub
        self._emoticons = module.RE_EMOTICONS.sub
        self._rsquo = rsquo
        self._linebreak = re.compile(r"\n{2,}")
        self._spaces = re.compile(r"\s+")

    def __call__(self, string: str) -> list[str]:
        """The sentences of ``string``, each a space-separated string of tokens."""
        for pattern, step in self._steps:
            if pattern in string:
                string = string.replace(pattern, step) if isinstance(step, str) else step(string)
        string = (string.replace("“", " “ ").replace("”", " ” ").replace("‘", " ‘ ")
                  .replace("’", " ’ ").replace("'", " ' ").replace('"', ' " '))
        string = string.replace("\r\n", "\n")
        string = self._linebreak.sub(f" {self._eos} ", string)
        string = self._spaces.sub(" ", string)
        tokens = self._split(self._token(string + " "))
        sentences = self._sentences(tokens)
        out = []
        for words in sentences:
            if words:
                sentence = " ".join(words)
                if "(" in sentence:  # the sarcasm mark is "(!)", spaced or not
                    sentence = self._sarcasm("(!)", sentence)
                out.append(self._emoticons(_glue, sentence))
        if self._rsquo:
            out = [s.replace("&rsquo ;", "’") for s in out]
        return out

    def _split(self, raw: list[str]) -> list[str]:
        lead, trail, replace = self._lead, self._trail, self._replace
        tokens: list[str] = []
        append = tokens.append
        for t in raw:
            if t in replace or not (t.startswith(lead) or t.endswith(trail)):
                append(t)  # a plain word: the library's loops would not touch it
                continue
            tail: list[str] = []
            while t.startswith(lead) and t not in replace:
                append(t[0])
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
                append(t)
            tokens.extend(reversed(tail))
        return tokens

    def _sentences(self, tokens: list[str]) -> list[list[str]]:
        ends, closers, eos = self._ends, self._closers, self._eos
        sentences: list[list[str]] = [[]]
        i = j = 0
        n = len(tokens)
        while j < n:
            if tokens[j] in ends:
                while j < n and tokens[j] in closers:
                    if self._balanced and tokens[j] in ("'", '"') \
                            and sentences[-1].count(tokens[j]) % 2 == 0:
                        break
                    j += 1
                sentences[-1].extend(t for t in tokens[i:j] if t != eos)
                sentences.append([])
                i = j
            j += 1
        sentences[-1].extend(tokens[i:j])
        return sentences


def _glue(m: re.Match[str]) -> str:
    return m.group(1).replace(" ", "") + m.group(2)


def english() -> Callable[[str], list[str]]:
    """TextBlob's English tokenizer."""
    from textblob import _text as module

    closers = ("'", '"', "”", "’", "...", ".", "!", "?", ")", module.EOS)
    return SentenceTokenizer(module, module.replacements, module.ABBREVIATIONS,
                             balanced_quotes=True, closers=closers, rsquo=False)


def french() -> Callable[[str], list[str]]:
    """textblob-fr's French tokenizer (its parser's contractions and abbreviations)."""
    from textblob_fr import _text as module
    from textblob_fr import fr

    closers = ("...", ".", "!", "?", ")", "'", '"', "”", "’", module.EOS)
    return SentenceTokenizer(module, fr.replacements, fr.ABBREVIATIONS,
                             balanced_quotes=False, closers=closers, rsquo=True)
