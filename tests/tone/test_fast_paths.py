"""The fast paths give the libraries' and the slow paths' results exactly.

``tone.tokens`` replaces pattern's tokenizer inside sentiment and ``tone.sentiment``'s
assessor walks its lexicon; both are checked against the library itself, over the
evaluation set, edge cases and seeded random strings. The term index remembers which terms
may start at a token; the memory must change nothing.
"""

from __future__ import annotations

import random

import pytest
from textblob.en import sentiment as en_lexicon
from textblob_fr.fr import sentiment as fr_lexicon

from tone import sentiment, text
from tone.config import ToneConfig
from tone.eval import load_mentions
from tone.lexicon import TermIndex, build_lexicon
from tone.tokens import english, french

EDGE_CASES = [
    "", "   ", "!!!", "...", "((( )))", "a. b.", "U.S. Mr. Smith etc. ok.",
    "L’envoi n’est pas arrivé... Vraiment nul !!! :( :-)", "I don't like it (!) ",
    "\"quoted\" 'single' “smart” ‘x’", "line\n\nbreak\r\n\r\nagain",
    "jusqu'à lorsqu'il puisqu'elle QU'IL L'AMI", "c.-à-d. M. Dupont", "J’ai L’HABITUDE",
    ":'( ;) <3 ♥ xD XD o_O", "Great!!! not bad at all :D", "pas terrible, vraiment pas :/",
]
ALPHABET = "abcdeéèàùç ABCXYZ.,;:!?()[]{}`'\"@#$^&*+-|=~_’‘“”\n\r\t:)D<3♥xXo8°…/-"


def _strings(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    fuzz = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 60)))
            for _ in range(count)]
    return [row["text"] for row in load_mentions()] + EDGE_CASES + fuzz


@pytest.mark.parametrize("language", ["en", "fr"])
def test_tokenizer_and_scores_match_the_library(language):
    ours = english() if language == "en" else french()
    lexicon = en_lexicon if language == "en" else fr_lexicon
    sentiment.preload()
    for string in _strings(3000, seed=11):
        assert ours(string) == lexicon.tokenizer(string), string
        assert sentiment.lexicon_score(string, language) == tuple(lexicon(string)[:2]), string


def test_term_index_cache_changes_nothing(monkeypatch):
    lexicon = build_lexicon(ToneConfig())
    index = lexicon.index
    toks_list = [text.tokens(row["text"]) for row in load_mentions()]
    first = [index.find(toks) for toks in toks_list]
    again = [index.find(toks) for toks in toks_list]  # now answered from the cache
    assert first == again
    assert any(first), "the evaluation set matches terms"
    # A term added later is found: adding clears what the cache remembered.
    index.add("zorglub*", "cat:fraud", 3.0)
    assert index.find(["zorglubien"]) == {"cat:fraud": {"zorglubien": 3.0}}
    # The cache stays bounded whatever the vocabulary.
    monkeypatch.setattr("tone.lexicon._STARTS_LIMIT", 100)
    fresh = TermIndex()
    fresh.add("colis", "cat:delivery", 1.0)
    for n in range(1000):
        fresh.find([f"mot{n}", "colis"])
    assert len(fresh._starts) <= 100
    assert fresh.find(["colis"]) == {"cat:delivery": {"colis": 1.0}}


def _sentences(lexicon, count: int, seed: int) -> list[str]:
    """Word salads that go through every branch of the lexicon's walk: known words,
    modifiers ("very", "-ly"/"-ment" adverbs), negations, short words between them, "!",
    the irony mark "(!)" and emoticons."""
    rng = random.Random(seed)
    words = sorted(dict.keys(lexicon))
    modifiers = [w for w in words if "RB" in dict.__getitem__(lexicon, w)]
    adverbs = [w for w in words if w.endswith(("ly", "ment"))]
    faces = sorted({face for group in lexicon_module(lexicon).EMOTICONS.values()
                    for face in group})
    pools = [words, modifiers or words, adverbs or words, list(lexicon.negations),
             ["a", "is", "le", "de", "it", "un", "x"], ["!", "!!", "(!)", "?", "...", ","],
             faces, ["Good", "NOT", "Très", "PAS", "n't", "l'", "qu'il"]]
    out = []
    for _ in range(count):
        picks = [rng.choice(rng.choice(pools)) for _ in range(rng.randint(1, 14))]
        out.append(" ".join(picks) if rng.random() < 0.7 else "".join(picks))
    return out


def lexicon_module(lexicon):
    from tone.tokens import library_module

    return library_module(lexicon)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_assessor_matches_the_library_walk(language):
    lexicon = en_lexicon if language == "en" else fr_lexicon
    sentiment.preload()
    assessor = sentiment._assessors[language]
    strings = _sentences(lexicon, 4000, seed=3) + _strings(500, seed=4)
    hits = 0
    for string in strings:
        words = " ".join(lexicon.tokenizer(string)).split()
        expected = [(p, s) for _w, p, s, _x in
                    lexicon.assessments(((w.lower(), None) for w in words), True)]
        assert assessor([w.lower() for w in words]) == expected, string
        assert sentiment.lexicon_score(string, language) == tuple(lexicon(string)[:2]), string
        hits += bool(expected)
    assert hits > len(strings) // 2, "the salads reach the lexicon"
