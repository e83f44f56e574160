"""Text cleaning and accent-insensitive tokenisation shared by the detectors."""

from __future__ import annotations

import html
import re
import unicodedata

_TAG_RE = re.compile(r"<[^>]{0,200}>")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# "(?<![\w.])@\w{1,50}" with the look-behind moved after the "@": the same matches,
# but the leading literal lets the engine jump from "@" to "@" instead of trying the
# look-behind at every position.
_HANDLE_RE = re.compile(r"@(?<![\w.]@)\w{1,50}")
_CONTROL_RE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff\ud800-\udfff]"
)
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
# Both tables keyed by character, for _fold_chars (their keys are disjoint).
_FOLD_CHARS: dict[str, str] = {
    chr(code): str(value) for code, value in (_FOLD_TABLE | _LATIN_TABLE).items()
}
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")
_TOKEN_OR_SYMBOL_RE = re.compile(r"[a-z0-9]+|[A-Z]|[^\x00-\u2000]")


def clean(text: str) -> str:
    """Return the readable prose of a post: no HTML, URLs, @handles or control characters.

    Used for language, sentiment and rules; personal data is searched in the raw text so
    that its offsets stay valid.
    """
    if "<" in text or "&" in text:
        text = html.unescape(_TAG_RE.sub(" ", text))
    # Each substitution is skipped when a character it needs is absent; the prechecks
    # are exact (tests/tone/test_text_fast.py checks them over every code point):
    # every character of the control class is unprintable,
    if not text.isprintable():
        text = _CONTROL_RE.sub(" ", text)
    # a URL holds "://" or "www." and, even under IGNORECASE, only "w" and "W" match
    # "w" and only "." matches "." (the one odd fold, "ſ" for "s", is inside "https"),
    if "://" in text or "w." in text or "W." in text:
        text = _URL_RE.sub(" ", text)
    # and a handle holds "@".
    if "@" in text:
        text = _HANDLE_RE.sub(" ", text)
    # str.split() splits on exactly the characters \s matches (both use str.isspace), so
    # this is ``re.sub(r"\s+", " ", text).strip()`` at a fraction of the cost.
    return " ".join(text.split())


def _fold_chars(text: str, table: dict[str, str]) -> str:
    """``text`` with each non-ASCII character found in ``table`` replaced by its value.

    The same as ``str.translate`` when no value holds a key (all values are ASCII here),
    but one ``replace`` per distinct accented letter instead of a lookup per character.
    """
    for ch in set(_NON_ASCII_RE.findall(text)):
        folded = table.get(ch)
        if folded is not None:
            text = text.replace(ch, folded)
    return text


def fold(text: str) -> str:
    """Lower-case and strip accents ("Réglé" -> "regle") so unaccented typing matches."""
    text = text.lower()
    # "`" is the only ASCII key of the fold tables.
    if "`" in text:
        text = text.replace("`", "'")
    if text.isascii():
        return text
    # The two tables have disjoint keys and ASCII values, so one pass applies both.
    text = _fold_chars(text, _FOLD_CHARS)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    # Drop the combining marks: ASCII characters never combine, so only the distinct
    # non-ASCII ones need looking up.
    for ch in set(_NON_ASCII_RE.findall(decomposed)):
        if unicodedata.combining(ch):
            decomposed = decomposed.replace(ch, "")
    return decomposed


def tokens(text: str) -> list[str]:
    """Folded word tokens plus one token per emoji, in order."""
    folded = fold(text)
    if folded.isascii():
        return _TOKEN_RE.findall(folded)
    # Keeps what matching [a-z0-9]+|[^\sa-z0-9] and keeping ASCII alphanumerics and emoji
    # keeps: runs of [a-z0-9], single A-Z (NFKD leaves "ℌ" as "H") and single characters
    # past U+2000 that are emoji; ASCII punctuation, dropped anyway, is not matched.
    return [
        tok
        for tok in _TOKEN_OR_SYMBOL_RE.findall(folded)
        if tok.isascii() or unicodedata.category(tok) == "So"
    ]


def normalised(text: str) -> str:
    """Tokens joined by single spaces, padded, ready for the lexicon regexes."""
    return " " + " ".join(tokens(text)) + " "


_TWO_LETTERS_RE = re.compile(r"[^\W\d_].*?[^\W\d_]", re.DOTALL)


def has_two_letters(text: str) -> bool:
    """True when ``text`` holds at least two letters (any script)."""
    return _TWO_LETTERS_RE.search(text) is not None
