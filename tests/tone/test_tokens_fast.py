"""``tone.tokens`` gives the library's sentences to the character, on a large fuzz.

The fast tokenizer skips work when it can prove the library's step would change nothing
(contraction steps, the emoticon substitution), remembers each token's punctuation split
and walks sentence ends by position. These tests throw tens of thousands of seeded random
strings at it, built from the pieces those shortcuts react to, and compare every result
with the library's own tokenizer.
"""

from __future__ import annotations

import random

import pytest
from textblob.en import sentiment as en_lexicon
from textblob_fr import fr
from textblob_fr.fr import sentiment as fr_lexicon

from tone import tokens
from tone.eval import load_mentions

en_module = tokens.library_module(en_lexicon)
fr_module = tokens.library_module(fr_lexicon)
COUNT = 30_000

# What the replacement steps, the quote handling, the abbreviation rules, the sentence
# ends and the emoticon and sarcasm substitutions react to, plus ordinary words.
_PIECES: list[str] = sorted({
    "'", "’", "‘", "`", "“", "”", '"', ".", "..", "...", "....", "!", "!!", "?", "?!",
    "(!)", "( ! )", "(!", "!)", "(", ")", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", "\n", "\r",
    "\t", "\u00a0", "\u2028", "\x1c", " ", "  ",
    ":", ";", "D", "P", "p", "o", "O", "-", "x", "X", "<", "3", "♥", ">", "=", "8", "*",
    "^", "°", "_", "/", "\\", "[", "]", "{", "}", "c", "b", "s", "S", ",",
    "l'", "L'", "qu'", "QU'", "jusqu'", "lorsqu'", "puisqu'", "d’", "L’", "qu’", "JUSQU’",
    "aujourd'hui", "aujourd’hui", "c'est", "n'est", "m'a", "t'as", "s'il", "j'ai",
    "n't", "N'T", "'s", "'S", "'re", "'ll", "'m", "'ve", "'d", "don't", "it's", "I'm",
    "Mr.", "etc.", "U.S.", "e.g.", "i.e.", "a.m.", "c.-à-d.", "M.", "Mme.", "MM.", "T.",
    "Brr.", "J.-C.", "p.", "av.", "vs.", "w/", "St.", "no.",
    "&rsquo;", "&rsquo ;", "END-OF-SENTENCE", "@Brand", "#fail", "$", "+", "|", "~", "&",
    "word", "Word", "WORD", "il", "ça", "est", "a", "I", "the", "pas", "très", "bien",
    "go", "so", "to", "do",
    *(face for group in en_module.EMOTICONS.values() for face in group),
    *(face for group in fr_module.EMOTICONS.values() for face in group),
    *(" ".join(face) for group in en_module.EMOTICONS.values() for face in group),
    *fr.ABBREVIATIONS, *en_module.ABBREVIATIONS,
})


def _fuzz(count: int, seed: int) -> list[str]:
    """Random strings of pieces, glued to each other or spaced apart."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(0, 24)):
            parts.append(rng.choice(_PIECES))
            if rng.random() < 0.4:
                parts.append(" ")
        out.append("".join(parts))
    return out


def _check(ours, library, strings: list[str]) -> None:
    for string in strings:
        assert ours(string) == library(string), repr(string)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_fuzz_matches_the_library(language):
    ours = tokens.english() if language == "en" else tokens.french()
    library = (en_lexicon if language == "en" else fr_lexicon).tokenizer
    texts = [row["text"] for row in load_mentions()]
    seed = 101 if language == "en" else 202
    _check(ours, library, texts + _fuzz(COUNT, seed))
    # The same texts again, now answered from the token memory.
    _check(ours, library, texts)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_full_token_memory_is_dropped(monkeypatch, language):
    monkeypatch.setattr(tokens, "_CACHE_LIMIT", 20)
    ours = tokens.english() if language == "en" else tokens.french()
    library = (en_lexicon if language == "en" else fr_lexicon).tokenizer
    _check(ours, library, _fuzz(500, seed=7))
    assert len(ours._cache) <= 20


def test_shortcuts_are_in_use():
    """The fuzz must reach the shortcuts: this fails if a table change disabled them."""
    for ours in (tokens.english(), tokens.french()):
        assert ours._triggers is not None
        assert ours._maybe_emoticon(": )") is not None
        assert ours._maybe_emoticon(":) plain words") is None
