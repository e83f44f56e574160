"""The statistical classifier's features: word 1-2 grams and character 3-5 grams.

The same function feeds training (``tone.train``, through scikit-learn's ``TfidfVectorizer``
with ``analyzer=features``) and scoring (``tone.model``), so both see identical features.
Text is cleaned (no URLs, handles, HTML), lower-cased, accent-folded and digits are
collapsed to "0", so "Bloqué", "bloque" and "BLOQUÉ" are one word and amounts or dates do
not make new features. Character grams are taken inside words padded with a space, which
keeps typos ("rembourssement"), SMS spellings ("bloké") and verlan close to their word.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

from tone.text import clean, fold

_WORD_RE = re.compile(r"[a-z0-9]+|[^\sa-z0-9\x00-\x7f]")
_DIGITS_RE = re.compile(r"\d+")
CHAR_SIZES: tuple[int, ...] = (3, 4, 5)


def normalise(text: str) -> list[str]:
    """The words of ``text`` as the features see them (folded, digits as "0")."""
    folded = _DIGITS_RE.sub("0", fold(clean(text)))
    return _WORD_RE.findall(folded)


Matches = dict[str, dict[str, float]]


@lru_cache(maxsize=65536)
def char_grams(word: str) -> tuple[str, ...]:
    """Character grams of one word padded with spaces (remembered: words repeat)."""
    padded = f" {word} "
    size = len(padded)
    return tuple(padded[i : i + n] for n in CHAR_SIZES if n <= size
                 for i in range(size - n + 1))


def rule_features(matches: Matches) -> list[str]:
    """The hand-written rules' verdicts as features: one ``r:<group>`` per unit of weight.

    The lexicon's weighted terms (``tone/data/{fr,en,other,common}.json``, plus a brand's
    own words) are knowledge the corpus cannot hold; given to the model as features, it
    learns how far to trust each group of them.
    """
    out: list[str] = []
    for group, found in matches.items():
        weight = sum(found.values())
        if weight > 0:
            out.extend([f"r:{group}"] * max(1, min(6, round(weight))))
    return out


def features(text: str, matches: Matches | None = None) -> list[str]:
    """Feature strings of ``text`` (repeated features repeat; order is not meaningful).

    ``matches`` are the lexicon's matches in the text (``TermIndex.find``), added as
    :func:`rule_features` when given.
    """
    words = normalise(text)
    out = [f"w:{w}" for w in words]
    out.extend(f"b:{a} {b}" for a, b in pairwise(words))
    for w in words:
        if len(w) >= 2 and w.isalnum():
            out.extend(char_grams(w))
    if matches:
        out.extend(rule_features(matches))
    return out
