"""The term index's matching rules, term by term: words, prefixes, gaps, longest match."""

from __future__ import annotations

import pytest

from tone.lexicon import GAP, TermIndex
from tone.text import tokens


def _index(*terms: tuple[str, str, float]) -> TermIndex:
    index = TermIndex()
    for term, group, weight in terms:
        index.add(term, group, weight)
    return index


@pytest.mark.parametrize(("term", "text", "found"), [
    ("colis", "mon colis est perdu", "colis"),
    ("colis", "mes colisages", None),  # a word is a whole token
    ("rembours*", "toujours pas remboursé", "rembourse"),
    ("mot de passe", "j'ai perdu mon mot de passe", "mot de passe"),
    ("mot de passe", "mon mot de", None),  # the text ends before the term does
    ("mot de passe", "un mot de trop", None),
    ("argent ~ bloque*", "mon argent est toujours bloqué", "argent est toujours bloque"),
    ("argent ~ bloque*", "argent bloqué", "argent bloque"),  # a gap may be empty
    ("argent ~ bloque*", "argent " + "x " * GAP + "bloqué", "argent " + "x " * GAP + "bloque"),
    ("argent ~ bloque*", "argent " + "x " * (GAP + 1) + "bloqué", None),
    ("compte ~ pirat* ~ hier", "compte vraiment piraté depuis hier", "compte vraiment pirate "
     "depuis hier"),
])
def test_a_term_matches_as_written(term: str, text: str, found: str | None) -> None:
    result = _index((term, "cat:x", 2.0)).find(tokens(text))
    assert result == ({"cat:x": {found: 2.0}} if found else {})


def test_the_longest_term_of_a_group_wins_at_a_start() -> None:
    index = _index(("merci", "cat:praise", 1.0), ("merci de", "cat:praise", 0.0),
                   ("passe", "cat:account", 1.0), ("mot de passe", "cat:account", 2.0))
    assert index.find(tokens("merci de votre aide")) == {"cat:praise": {"merci de": 0.0}}
    # "passe" starts later than "mot de passe": each start is its own match.
    assert index.find(tokens("mot de passe")) == {
        "cat:account": {"mot de passe": 2.0, "passe": 1.0}}


def test_groups_match_independently_and_terms_count_once() -> None:
    index = _index(("colis", "cat:delivery", 1.0), ("colis vide", "urg:scam", 1.0))
    found = index.find(tokens("colis vide, encore un colis vide"))
    assert found == {"cat:delivery": {"colis": 1.0}, "urg:scam": {"colis vide": 1.0}}
