"""The humour-marker detector the committee's draw relies on."""

from __future__ import annotations

import pytest

from tone.humour import humour_markers, may_carry_humour


@pytest.mark.parametrize(("text", "kinds"), [
    ("Haha on adore ce genre de question 😉 ^Tom", ["laughter", "emoji"]),
    ("mdrrr promis on s'en occupe ^Marie", ["laughter"]),
    ("ptdr", ["laughter"]),
    ("LOL, that one's on us ^Tom", ["laughter"]),
    ("ahaha", ["laughter"]),
    ("Thanks:) ^Tom", ["smiley"]),
    ("On croise les doigts ;-)", ["smiley"]),
    ("Avec plaisir !", ["exclamation"]),
    ("Oui, bien sûr... ^Marie", ["irony"]),
    ("Ah, le « petit » souci ?!", ["irony", "irony"]),
    ("C'est de l'ironie /s", ["irony", "irony"]),
    ("Bravo ✨", ["emoji"]),
])
def test_markers_found(text: str, kinds: list[str]) -> None:
    found = humour_markers(text)
    assert [m.kind for m in found] == kinds
    for marker in found:
        assert text[marker.start:marker.end] == marker.text
    assert may_carry_humour(text)


@pytest.mark.parametrize("text", [
    "Bonjour, votre colis arrive demain. ^Marie",
    "Your ticket is CARE-2026-000123.",
    "Rendez-vous à 12:30, le chat est parti.",
    "", "hashtag", "Philippe",
])
def test_plain_replies_have_none(text: str) -> None:
    assert humour_markers(text) == []
    assert not may_carry_humour(text)


def test_odd_input_never_raises() -> None:
    assert humour_markers(None) == []  # type: ignore[arg-type]
    assert not may_carry_humour(b"haha")  # type: ignore[arg-type]
    assert humour_markers("x" * 100_000) == []


def test_the_fast_test_never_hides_a_marker() -> None:
    # ``_maybe`` skips the full pattern on most replies; wherever the full pattern finds
    # something, ``_maybe`` must say yes. Seeded random strings built from the markers'
    # own pieces and ordinary words, plus every demo reply.
    import random

    from app.demo.review import EXCHANGES
    from tone.humour import _PATTERN, _maybe

    pieces = ["ha", "ah", "hi", "hé", "ho", "lol", "mdr", "r", "pt", "x", "D", ":", ";", ")",
              "(", "=", "^", "_", "<3", "!", "?", ".", "…", "/s", "«", "»", '"', "“", "”",
              "😉", "✨", " ", " ", "bonjour", "the", "ironie", "clin d'oeil", "jk", "1", "é",
              "l", "o", "m", "a", "h", "P", "-"]
    rng = random.Random(18)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12)))
             for _ in range(20_000)]
    texts += [reply for _l, _c, _q, reply, _p, _b in EXCHANGES]
    for text in texts:
        if _PATTERN.search(text):
            assert _maybe(text), text
