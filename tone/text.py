"""Text cleaning and accent-insensitive tokenisation shared by the detectors."""

from __future__ import annotations

import html
import re
import unicodedata

_TAG_RE = re.compile(r"<[^>]{0,200}>")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE_RE = re.compile(r"(?<![\w.])@\w{1,50}")
_CONTROL_RE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff\ud800-\udfff]"
)
# Words (ASCII after folding) and single non-ASCII characters, of which emoji are kept.
_TOKEN_RE = re.compile(r"[a-z0-9]+|[^\x00-\x7f]")

# Apostrophes and ligatures that NFKD does not fold the way French users expect.
_FOLD_TABLE = str.maketrans({"’": "'", "‘": "'", "`": "'", "œ": "oe", "æ": "ae", "ß": "ss"})


def clean(text: str) -> str:
    """Return the readable prose of a post: no HTML, URLs, @handles or control characters.

    Used for language, sentiment and rules; personal data is searched in the raw text so
    that its offsets stay valid.
    """
    if "<" in text or "&" in text:
        text = html.unescape(_TAG_RE.sub(" ", text))
    text = _CONTROL_RE.sub(" ", text)
    text = _URL_RE.sub(" ", text)
    text = _HANDLE_RE.sub(" ", text)
    return " ".join(text.split())


# Latin letters with accents, Latin ligatures and typographic spaces and punctuation: each
# character's fold (NFKD, combining marks dropped) when it is plain ASCII. Dropping every
# combining mark makes NFKD's reordering of marks irrelevant, so a text folds character by
# character and the table gives exactly what the full normalisation gives, in one translate:
# French text rarely needs more.
_ASCII_FOLD_RANGES = ((0x00A0, 0x024F), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0xFB00, 0xFB06))


def _fold_char(ch: str) -> str:
    decomposed = unicodedata.normalize("NFKD", ch)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _ascii_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for first, last in _ASCII_FOLD_RANGES:
        for code in range(first, last + 1):
            folded = _fold_char(chr(code))
            if folded.isascii() and folded != chr(code):
                table[code] = folded
    # The French apostrophes and ligatures win over NFKD.
    table.update(_FOLD_TABLE)
    return table


_FULL_FOLD_TABLE = _ascii_fold_table()
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")


def _drop_combining(match: re.Match[str]) -> str:
    return "" if unicodedata.combining(match.group()) else match.group()


def fold(text: str) -> str:
    """Lower-case and strip accents ("Réglé" -> "regle") so unaccented typing matches.

    The same as NFKD with every combining mark dropped (after the French apostrophes and
    ligatures of ``_FOLD_TABLE``); the table does the usual characters at once.
    """
    text = text.lower().translate(_FULL_FOLD_TABLE)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return _NON_ASCII_RE.sub(_drop_combining, decomposed)


def tokens(text: str) -> list[str]:
    """Folded word tokens plus one token per emoji, in order."""
    return [
        tok
        for tok in _TOKEN_RE.findall(fold(text))
        if tok.isascii() or unicodedata.category(tok) == "So"
    ]


def normalised(text: str) -> str:
    """Tokens joined by single spaces, padded, ready for the lexicon regexes."""
    return " " + " ".join(tokens(text)) + " "


_TWO_LETTERS_RE = re.compile(r"[^\W\d_].*?[^\W\d_]", re.DOTALL)


def has_two_letters(text: str) -> bool:
    """True when ``text`` holds at least two letters (any script)."""
    return _TWO_LETTERS_RE.search(text) is not None
