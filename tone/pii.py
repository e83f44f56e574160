"""Personal-data detection with exact character spans.

The same detector screens inbound mentions and agents' drafts, so it favours recall on
real identifiers while rejecting look-alikes (prices, dates, times, follower counts,
tweet ids in URLs) through checksums (IBAN mod-97, Luhn), phone-number validation and
context words for order and tracking references.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

from tone.config import ToneConfig
from tone.lexicon import load_json
from tone.types import PiiSpan

# Official IBAN lengths for the countries a French marketplace's users bank in; other
# countries are still accepted on the checksum alone.
IBAN_LENGTHS: dict[str, int] = {
    "FR": 27,
    "MC": 27,
    "BE": 16,
    "LU": 20,
    "CH": 21,
    "DE": 22,
    "ES": 24,
    "IT": 27,
    "PT": 25,
    "NL": 18,
    "GB": 22,
    "IE": 22,
    "AT": 20,
    "PL": 28,
    "RO": 24,
    "GR": 27,
    "LT": 20,
    "LV": 21,
    "EE": 20,
    "FI": 18,
    "SE": 24,
    "DK": 18,
    "NO": 15,
    "CZ": 24,
    "SK": 24,
    "SI": 19,
    "HR": 21,
    "BG": 22,
    "HU": 28,
    "MT": 31,
    "CY": 28,
    "IS": 26,
}

# Articles and particles inside street names, which lower-case typing keeps
# ("12 rue de la paix").
_PARTICLES = frozenset(["de", "la", "du", "des", "d", "l", "le", "les", "sur", "en", "aux", "au"])
# Street types that are also everyday nouns ("2 places de concert", "3 cours de yoga")
# need a capitalised name or a postcode.
_AMBIGUOUS_TYPES = frozenset(
    [
        "place",
        "cours",
        "route",
        "voie",
        "passage",
        "villa",
        "square",
        "promenade",
        "cite",
        "cité",
        "residence",
        "résidence",
    ]
)
_WORD_RE = re.compile(r"[ \t]*,?[ \t]*([^\W\d_][\w’'\-]*)")
_POSTCODE_RE = re.compile(r"[ \t]*,?[ \t]*(\d{5}|\d{2}[ ]\d{3})(?![\w])")
_CITY_RE = re.compile(r"[ \t]+([^\W\d_][\w’'\-]*)")


_DIGIT_RE = re.compile(r"\d")


def iban_valid(candidate: str) -> bool:
    """True when ``candidate`` (spaces allowed) is a well-formed IBAN with a valid mod-97."""
    compact = re.sub(r"[\s-]", "", candidate).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", compact):
        return False
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def luhn_valid(candidate: str) -> bool:
    """True when the digits of ``candidate`` pass the Luhn checksum (13-19 digits)."""
    digits = [int(ch) for ch in candidate if ch.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _compile_many(patterns: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


class PiiDetector:
    """Finds e-mails, phones, IBANs, cards, order/tracking numbers and French addresses."""

    def __init__(self, config: ToneConfig | None = None) -> None:
        """Compile the default patterns plus the brand's extra order/tracking patterns."""
        config = config or ToneConfig()
        data = load_json("patterns")
        self._email = re.compile(data["email"])
        self._url = re.compile(data["url"], re.IGNORECASE)
        self._handle = re.compile(data["handle"])
        # IBAN letters after the country code must be upper case, so that a trailing
        # word ("... 189 MERCI" aside) is not swallowed into the account number.
        self._iban = re.compile(data["iban"])
        self._card = re.compile(data["card"])
        self._phone_candidate = re.compile(data["phone_candidate"])
        self._order = _compile_many([*data["order"], *config.order_patterns])
        self._tracking = _compile_many([*data["tracking"], *config.tracking_patterns])
        self._address = re.compile(data["address"], re.IGNORECASE)

    # -- public -------------------------------------------------------------------

    def detect(self, text: str) -> list[PiiSpan]:
        """Return non-overlapping spans sorted by start offset.

        Detectors run from the most to the least certain (checksummed first); a later
        detector never reports a span overlapping an earlier one.
        """
        if not text:
            return []
        taken: list[tuple[int, int]] = []
        spans: list[PiiSpan] = []

        def add(kind: str, start: int, end: int) -> None:
            if start >= end:
                return
            for s, e in taken:
                if start < e and s < end:
                    return
            taken.append((start, end))
            spans.append(PiiSpan(kind, start, end, text[start:end]))

        # Each pattern needs a character that most posts lack: checking for it first
        # skips a scan of the whole text.
        has_at = "@" in text
        if has_at:
            for m in self._email.finditer(text):
                add("email", m.start(), m.end())
        # URLs and @handles hold long digit runs (tweet ids) that are not personal data;
        # reserve them without reporting.
        blocked: list[tuple[int, int]] = []
        if "/" in text or "www." in text.lower():
            blocked += [(m.start(), m.end()) for m in self._url.finditer(text)]
        if has_at:
            blocked += [(m.start(), m.end()) for m in self._handle.finditer(text)]
        for span in blocked:
            if not any(span[0] < e and s < span[1] for s, e in taken):
                taken.append(span)

        if _DIGIT_RE.search(text):
            for m in self._iban.finditer(text):
                start, end = self._iban_bounds(text, m.start(), m.end())
                if end:
                    add("iban", start, end)
            # Context-anchored references first: an order number that happens to pass
            # Luhn is still an order number.
            for regex in self._tracking:
                for m in regex.finditer(text):
                    add("tracking", *self._ref_bounds(m))
            for regex in self._order:
                for m in regex.finditer(text):
                    add("order", *self._ref_bounds(m))
            for m in self._card.finditer(text):
                raw = m.group().rstrip(" -")
                # Issuer prefixes 2-6 (Mastercard, Amex, Visa, Discover...) cut chance hits.
                if raw[0] in "23456" and luhn_valid(raw):
                    add("card", m.start(), m.start() + len(raw))
            for start, end in self._addresses(text):
                add("address", start, end)
            for start, end in self._phones(text, taken):
                add("phone", start, end)
        spans.sort(key=lambda s: s.start)
        return spans

    # -- helpers --------------------------------------------------------------------

    @staticmethod
    def _ref_bounds(m: re.Match[str]) -> tuple[int, int]:
        if "ref" in m.re.groupindex and m.group("ref") is not None:
            return m.start("ref"), m.end("ref")
        return m.start(), m.end()

    @staticmethod
    def _iban_bounds(text: str, start: int, end: int) -> tuple[int, int]:
        """Trim a regex match to the country's IBAN length and verify it; (0, 0) if invalid."""
        raw = text[start:end]
        expected = IBAN_LENGTHS.get(raw[:2].upper())
        if expected is not None:
            count = 0
            for i, ch in enumerate(raw):
                if ch.isalnum():
                    count += 1
                    if count == expected:
                        # A longer run glued to the IBAN is not an IBAN.
                        rest = raw[i + 1 :]
                        if rest and rest[0].isalnum():
                            return 0, 0
                        raw = raw[: i + 1]
                        break
            else:
                return 0, 0
        if iban_valid(raw):
            return start, start + len(raw)
        return 0, 0

    def _addresses(self, text: str) -> list[tuple[int, int]]:
        """French street addresses: number, street type, name, optional postcode and city."""
        found: list[tuple[int, int]] = []
        for m in self._address.finditer(text):
            pos = end = m.end()
            capitalised = particle = lower = False
            for _ in range(6):
                w = _WORD_RE.match(text, pos)
                if w is None or (end > m.end() and "," in text[pos : w.start(1)]):
                    break
                word = w.group(1)
                key = word.lower().replace("’", "'").split("'")[0]
                if key in _PARTICLES:
                    particle = True
                    pos = w.end()
                    if "'" in word or "’" in word:
                        end = pos  # "d'Alsace" carries the name in the same token
                    continue
                if word[0].isupper():
                    capitalised = True
                elif capitalised or lower or not particle:
                    # Lower-case typing: accept one name word, and only after a particle,
                    # so "2 cours demain" is not an address.
                    if not (particle and not capitalised and not lower):
                        break
                    lower = True
                pos = end = w.end()
                if lower:
                    break
            if end == m.end():
                continue
            post = _POSTCODE_RE.match(text, end)
            if post:
                end = post.end()
                city = _CITY_RE.match(text, end)
                if city:
                    end = city.end()
            elif not capitalised and (m.group("type").lower() in _AMBIGUOUS_TYPES or not particle):
                continue
            found.append((m.start(), end))
        return found

    def _phones(self, text: str, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Validated phone numbers, French by default and international with a + or 00.

        Each digit run is parsed directly (fast); only runs that may hold several numbers
        go through ``PhoneNumberMatcher`` with the VALID leniency.
        """
        out: list[tuple[int, int]] = []
        for cand in self._phone_candidate.finditer(text):
            c_start, c_end = cand.span()
            if any(s <= c_start and c_end <= e for s, e in taken):
                continue
            raw = cand.group()
            digit_count = sum(ch.isdigit() for ch in raw)
            lead = raw.lstrip("(")
            # National French numbers start with 0; anything else needs + or 00.
            if lead[:1] in "+0":
                try:
                    number = phonenumbers.parse(raw, "FR")
                except phonenumbers.NumberParseException:
                    number = None
                if number is not None and phonenumbers.is_valid_number(number):
                    start, end = c_start, c_end
                    if not any(start < e and s < end for s, e in taken):
                        out.append((start, end))
                    continue
            if digit_count <= 12:
                continue
            window_start = max(0, c_start - 1)
            window = text[window_start : c_end + 1]
            for match in PhoneNumberMatcher(window, "FR", leniency=Leniency.VALID):
                start = window_start + match.start
                end = window_start + match.end
                if not any(start < e and s < end for s, e in taken):
                    out.append((start, end))
        return out
