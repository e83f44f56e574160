"""``fold`` is NFKD with combining marks dropped, whatever characters come in."""

from __future__ import annotations

import random
import unicodedata

from tone.eval import load_mentions
from tone.text import fold

_FRENCH = str.maketrans({"’": "'", "‘": "'", "`": "'", "œ": "oe", "æ": "ae", "ß": "ss"})


def reference(text: str) -> str:
    """The definition, straight from the standard library."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_FRENCH))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def test_every_character_up_to_cjk_folds_as_the_definition() -> None:
    for code in range(0x20, 0x3000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        ch = chr(code)
        assert fold(ch) == reference(ch), hex(code)
        assert fold(f"a{ch}\u0301b{ch}") == reference(f"a{ch}\u0301b{ch}"), hex(code)


def test_mixed_texts_fold_as_the_definition() -> None:
    rng = random.Random(20)
    alphabet = ("aAeÉèêçÇœŒæßÀ’‘`…\u00a0\u202f\u0301\u0327\u0323ﬁİẞǅ½²ḉ"
                "😀👍🏽❤️🇫🇷 .,!?-'0123456789")
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        assert fold(text) == reference(text), text
    for row in load_mentions():
        assert fold(row["text"]) == reference(row["text"])


def test_folding_examples() -> None:
    assert fold("Réglé") == "regle"
    assert fold("Cœur d’ÉTÉ…") == "coeur d'ete..."
    assert fold("ça\u202fva 👍") == "ca va 👍"
