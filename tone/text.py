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
_SPACE_RE = re.compile(r"\s+")
_TOKEN_RE = re.compile(r"[a-z0-9]+")

# Apostrophes and ligatures that NFKD does not fold the way French users expect.
_FOLD_TABLE = str.maketrans({"’": "'", "‘": "'", "`": "'", "œ": "oe", "æ": "ae", "ß": "ss"})


def _latin_table() -> dict[int, str]:
    # Accented Latin letters folded in one translate() call, as NFKD then dropping the
    # combining marks would fold them one by one: most French text is then plain ASCII
    # and skips the slow path.
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        ch = chr(code)
        if code in _FOLD_TABLE:
            continue
        folded = "".join(c for c in unicodedata.normalize("NFKD", ch)
                         if not unicodedata.combining(c))
        if folded != ch and folded.isascii():
            table[code] = folded
    return table


_LATIN_TABLE = _latin_table()


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
    return _SPACE_RE.sub(" ", text).strip()


def fold(text: str) -> str:
    """Lower-case and strip accents ("Réglé" -> "regle") so unaccented typing matches."""
    text = text.lower().translate(_FOLD_TABLE)
    if text.isascii():
        return text
    text = text.translate(_LATIN_TABLE)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _is_emoji(ch: str) -> bool:
    return ord(ch) > 0x2000 and unicodedata.category(ch) == "So"


def tokens(text: str) -> list[str]:
    """Folded word tokens plus one token per emoji, in order."""
    folded = fold(text)
    if folded.isascii():
        return _TOKEN_RE.findall(folded)
    out: list[str] = []
    for match in re.finditer(r"[a-z0-9]+|[^\sa-z0-9]", folded):
        tok = match.group()
        if tok[0].isascii():
            if tok[0].isalnum():
                out.append(tok)
        elif _is_emoji(tok):
            out.append(tok)
    return out


def normalised(text: str) -> str:
    """Tokens joined by single spaces, padded, ready for the lexicon regexes."""
    return " " + " ".join(tokens(text)) + " "


_TWO_LETTERS_RE = re.compile(r"[^\W\d_].*?[^\W\d_]", re.DOTALL)


def has_two_letters(text: str) -> bool:
    """True when ``text`` holds at least two letters (any script)."""
    return _TWO_LETTERS_RE.search(text) is not None
