"""Personal-data detection with exact character spans.

The same detector screens inbound mentions and agents' drafts, so it favours recall on
real identifiers while rejecting look-alikes (prices, dates, times, follower counts,
tweet ids in URLs) through checksums (IBAN mod-97, Luhn), phone-number validation and
context words for order and tracking references.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

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


# -- prefilters -------------------------------------------------------------------------
#
# Most posts hold no personal data, and each pattern costs a scan of the whole text
# (3-15 µs for a 100-character post). The tables below record, for the patterns shipped in
# tone/data/patterns.json, what a text must contain for the pattern to match anywhere in
# it; those facts are computed once per text, so a pattern that cannot match is skipped
# without scanning. They are keyed by the exact pattern text: a pattern edited in the
# data file, or added by a brand, finds no entry and is always scanned.

# Written ``\d\d*`` rather than ``\d+`` so that it starts with a character set, which lets
# the regex engine skip non-digits without trying a match at each of them.
_DIGIT_RUN_RE = re.compile(r"\d\d*")

# Characters that ``re.IGNORECASE`` matches to an ASCII letter although ``str.lower()``
# does not turn them into that letter (Turkish dotted and dotless i, long s). A keyword
# prefilter on ``text.lower()`` would miss them, so texts holding one are always scanned.
# tests/tone/test_pii_fast.py checks this list against every Unicode code point.
_CASE_ODDITIES = ("\u0130", "\u0131", "\u017f")


@dataclass(frozen=True)
class _Needs:
    """Necessary conditions for one pattern to match somewhere in a text.

    Every condition is implied by the pattern itself (read off its mandatory parts), so a
    text failing one cannot hold a match and skipping the scan returns the same spans.
    """

    run: int = 0  # a run of at least this many consecutive ``\d`` characters
    digits: int = 0  # at least this many ``\d`` characters in the whole text
    # One of these lower-case literals occurs in ``text.lower()``: each is a mandatory
    # part of one branch of the pattern, and together they cover every branch.
    words: tuple[str, ...] = ()
    hint: re.Pattern[str] | None = None  # a cheap regex that must find something


_TRACKING_WORDS = (
    "suivi", "track", "colis", "parcel", "package", "exp", "mondial", "chronopost", "dpd",
    "dhl", "gls", "relais",
)  # fmt: skip

_NEEDS: dict[str, _Needs] = {
    # email: an "@" right after a character of the local part.
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+"
    r"[A-Za-z]{2,24}(?![\w-])": _Needs(hint=re.compile(r"@(?<=[A-Za-z0-9._%+-]@)")),
    # url: "://", "www." or one of the short-link domains followed by "/".
    r"(?:https?://|www\.)\S+|\b(?:t\.co|pic\.twitter\.com|bit\.ly|fb\.me|lbc\.fr)/\S+": _Needs(
        words=("://", "www.", "t.co/", "pic.twitter.com/", "bit.ly/", "fb.me/", "lbc.fr/")
    ),
    # iban: a country code then two check digits.
    r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,3})?"
    r"(?![A-Za-z0-9])": _Needs(run=2),
    # card: 13 to 19 digits.
    r"(?<![\w.,/-])(?:\d[ -]?){12,18}\d(?![\w/-]|[.,]\d)": _Needs(digits=13),
    # order: its keyword, and a digit in the reference.
    r"\b(?:commande|commandes|cmd|cde|cmde)\s*(?:n\s?°|n\s?o\.?|num(?:[ée]ro)?\.?"
    r"|r[ée]f(?:[ée]rence)?\.?|#|:|\s)*\s*(?P<ref>(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{4,24})"
    r"(?![\w-])": _Needs(digits=1, words=("commande", "cmd", "cde")),
    r"\border(?:\s*(?:number|num|no\.?|n°|ref(?:erence)?|id))?\s*(?:#|:|\s)*\s*"
    r"(?P<ref>(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{4,24})(?![\w-])": _Needs(
        digits=1, words=("order",)
    ),
    r"(?<![\w/])#(?P<ref>(?=[A-Z0-9-]*\d)(?:CMD|ORD|CDE)-?[A-Z0-9-]{4,20})(?![\w-])": _Needs(
        digits=1, words=("#cmd", "#ord", "#cde")
    ),
    # tracking: the digit runs of each carrier's format, plus the keyword when anchored.
    r"(?<![A-Za-z0-9])(?P<ref>\d[A-Z]\d{11})(?![A-Za-z0-9])": _Needs(run=11),
    r"(?<![A-Za-z0-9])(?P<ref>[A-Z]{2}\d{9}[A-Z]{2})(?![A-Za-z0-9])": _Needs(run=9),
    r"(?<![A-Za-z0-9])(?P<ref>1Z[0-9A-Z]{16})(?![A-Za-z0-9])": _Needs(words=("1z",)),
    r"\b(?:suivi|tracking|track|colis|parcel|package|exp[ée]dition|mondial\s*relay|chronopost"
    r"|colissimo|dpd|dhl|gls|relais)(?:\s*(?:number|num[ée]ro|num|no\.?|n°|nr|id|code"
    r"|de suivi))?\s*(?:#|:|\s)*\s*(?P<ref>\d{8,14})(?![\w,.]\d|\w)": _Needs(
        run=8, words=_TRACKING_WORDS
    ),
    r"(?<![\w/])(?P<ref>\d{8,14})(?=\s+(?:(?:pour|chez|via|avec|sur|de|with|for|on|by)\s+)?"
    r"(?:mondial\s*relay|colissimo|chronopost|relais|dpd|dhl|gls|ups)\b)": _Needs(
        run=8, words=("mondial", "colissimo", "chronopost", "relais", "dpd", "dhl", "gls", "ups")
    ),
}

# Faster patterns that find exactly the same matches as a shipped one. Both shipped
# patterns start with a look-behind, so the engine tries them at every position of the
# text; starting with a literal or a character set instead lets it jump between the only
# characters a match can start with. The look-behind then checks the same character (the
# one before the match) from one position further, over the start character itself;
# at the very start of the text neither look-behind fits, so both patterns accept.
_STREET_TYPES = (
    r"rue|avenue|av\.|bd|blvd|boulevard|place|chemin|impasse|all[ée]e|route|quai|cours|square"
    r"|passage|faubourg|fbg|r[ée]sidence|lotissement|hameau|voie|sentier|esplanade|promenade"
    r"|cit[ée]|parvis|villa"
)
_EQUIVALENTS: dict[str, str] = {
    # @handle: jump from one "@" to the next.
    r"(?<![\w.])@\w{1,50}": r"@(?<![\w.]@)\w{1,50}",
    # Address: jump from digit to digit; ``\d{1,4}`` is the first digit then ``\d{0,3}``.
    _STREET_TYPES.join(
        (r"(?<![\w,.])(?P<num>\d{1,4})(?:\s?(?:bis|ter))?,?\s+(?P<type>", r")\b\.?")
    ): _STREET_TYPES.join(
        (r"(?P<num>\d(?<![\w,.]\d)\d{0,3})(?:\s?(?:bis|ter))?,?\s+(?P<type>", r")\b\.?")
    ),
}

# A phone candidate is made only of these characters and is at least 8 long, so it lies
# inside a run of 8 or more of them: only those runs are scanned (with pos/endpos, which
# keeps the look-behind of ``\b`` on the real text). Such runs are maximal, since the
# repetition is greedy and a run's start is tried before its middle.
_PHONE_CANDIDATE = r"(?:\(?\+|\b00)?\(?\d[\d \t.\-()/]{6,24}\d"
_PHONE_REGION_RE = re.compile(r"[\d \t.\-()/+][\d \t.\-()/+]{7,}")


class _Facts:
    """What the prefilters need to know about one text, computed once."""

    __slots__ = ("_lower", "_odd", "digits", "run", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        runs = _DIGIT_RUN_RE.findall(text)
        self.run = max(map(len, runs), default=0)
        self.digits = sum(map(len, runs))
        self._lower: str | None = None
        self._odd: bool | None = None

    @property
    def lower(self) -> str:
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower

    def may_match(self, needs: _Needs | None) -> bool:
        """False only when the text lacks something the pattern requires."""
        if needs is None:
            return True
        if self.run < needs.run or self.digits < needs.digits:
            return False
        if needs.words:
            if self._odd is None:
                text = self.text
                self._odd = not text.isascii() and any(c in text for c in _CASE_ODDITIES)
            if not self._odd:
                lower = self.lower
                for word in needs.words:
                    if word in lower:
                        break
                else:
                    return False
        return needs.hint is None or needs.hint.search(self.text) is not None


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


def _compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """Compile ``pattern``, or the faster pattern known to find the same matches."""
    return re.compile(_EQUIVALENTS.get(pattern, pattern), flags)


class PiiDetector:
    """Finds e-mails, phones, IBANs, cards, order/tracking numbers and French addresses."""

    def __init__(self, config: ToneConfig | None = None) -> None:
        """Compile the default patterns plus the brand's extra order/tracking patterns."""
        config = config or ToneConfig()
        data = load_json("patterns")
        self._email = _compile(data["email"])
        self._url = _compile(data["url"], re.IGNORECASE)
        self._handle = _compile(data["handle"])
        # IBAN letters after the country code must be upper case, so that a trailing
        # word ("... 189 MERCI" aside) is not swallowed into the account number.
        self._iban = _compile(data["iban"])
        self._card = _compile(data["card"])
        self._phone_candidate = _compile(data["phone_candidate"])
        # Only the known candidate pattern is confined to runs of its characters.
        self._phone_region = (
            _PHONE_REGION_RE if data["phone_candidate"] == _PHONE_CANDIDATE else None
        )
        self._order = _compile_many([*data["order"], *config.order_patterns])
        self._tracking = _compile_many([*data["tracking"], *config.tracking_patterns])
        self._address = _compile(data["address"], re.IGNORECASE)
        # Prefilters of the shipped patterns; a brand's patterns get None (always scanned).
        self._needs = {key: _NEEDS.get(data[key]) for key in ("email", "url", "iban", "card")}
        self._order_needs = self._prefilters(data["order"], config.order_patterns)
        self._tracking_needs = self._prefilters(data["tracking"], config.tracking_patterns)

    @staticmethod
    def _prefilters(shipped: list[str], extra: Iterable[str]) -> tuple[_Needs | None, ...]:
        return (*(_NEEDS.get(p) for p in shipped), *(None for _ in extra))

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

        facts = _Facts(text)
        needs = self._needs
        # Each pattern needs a character that most posts lack: checking for it first
        # skips a scan of the whole text.
        has_at = "@" in text
        if has_at and facts.may_match(needs["email"]):
            for m in self._email.finditer(text):
                add("email", m.start(), m.end())
        # URLs and @handles hold long digit runs (tweet ids) that are not personal data;
        # reserve them without reporting.
        blocked: list[tuple[int, int]] = []
        if ("/" in text or "www." in facts.lower) and facts.may_match(needs["url"]):
            blocked += [(m.start(), m.end()) for m in self._url.finditer(text)]
        if has_at:
            blocked += [(m.start(), m.end()) for m in self._handle.finditer(text)]
        for span in blocked:
            if not any(span[0] < e and s < span[1] for s, e in taken):
                taken.append(span)

        if facts.digits:
            if facts.may_match(needs["iban"]):
                for m in self._iban.finditer(text):
                    start, end = self._iban_bounds(text, m.start(), m.end())
                    if end:
                        add("iban", start, end)
            # Context-anchored references first: an order number that happens to pass
            # Luhn is still an order number.
            for regex, pattern_needs in zip(self._tracking, self._tracking_needs, strict=True):
                if facts.may_match(pattern_needs):
                    for m in regex.finditer(text):
                        add("tracking", *self._ref_bounds(m))
            for regex, pattern_needs in zip(self._order, self._order_needs, strict=True):
                if facts.may_match(pattern_needs):
                    for m in regex.finditer(text):
                        add("order", *self._ref_bounds(m))
            if facts.may_match(needs["card"]):
                for m in self._card.finditer(text):
                    raw = m.group().rstrip(" -")
                    # Issuer prefixes 2-6 (Mastercard, Amex, Visa...) cut chance hits.
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

    def _phone_candidates(self, text: str) -> Iterator[re.Match[str]]:
        """The matches of the phone candidate pattern, scanning only where they can be."""
        if self._phone_region is None:
            yield from self._phone_candidate.finditer(text)
            return
        for region in self._phone_region.finditer(text):
            yield from self._phone_candidate.finditer(text, region.start(), region.end())

    def _phones(self, text: str, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Validated phone numbers, French by default and international with a + or 00.

        Each digit run is parsed directly (fast); only runs that may hold several numbers
        go through ``PhoneNumberMatcher`` with the VALID leniency.
        """
        out: list[tuple[int, int]] = []
        for cand in self._phone_candidates(text):
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
