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
# A street name typed in lower case without a particle ("15 rue victor hugo"): one or two
# words that are not everyday words, after a street type that is not an everyday noun.
_LOWER_NAME_RE = re.compile(r"[ \t]+([^\W\d_][\w’'\-]+)(?:[ \t]+([^\W\d_][\w’'\-]+))?")
_NOT_NAMES = frozenset({
    "je", "j", "tu", "il", "elle", "on", "nous", "vous", "ils", "elles", "et", "ou", "mais",
    "donc", "car", "depuis", "pour", "par", "avec", "sans", "chez", "dans", "a", "à", "en",
    "svp", "stp", "merci", "c", "ce", "ca", "ça", "est", "sont", "pas", "ne", "qui", "que",
    "quand", "mon", "ma", "mes", "son", "sa", "ses", "ton", "ta", "y", "hier", "demain",
    "ajd", "aujourd", "bat", "bât", "batiment", "bâtiment", "appartement", "appart", "appt",
    "apt", "etage", "étage", "code", "digicode", "porte", "interphone", "escalier",
    "si", "sinon", "alors", "puis", "vers", "entre", "jamais", "toujours", "rien", "personne",
    "colis", "livreur", "commande", "cmd", "please", "thanks", "and", "the", "to", "là",
    "ici", "matin", "soir", "mdr", "lol",
})


_STREET_TYPES_EN = (
    r"street|st|road|rd|avenue|ave|lane|ln|drive|dr|close|way|crescent|cres|gardens|gdns"
    r"|terrace|place|pl|hill|grove|boulevard|blvd|court|ct|square|sq|parkway|pkwy|row|mews"
    r"|park road|walk|rise|green|loop|circle|cir|plaza|trail|highway|hwy|view|vale|wharf"
)
# An English street address: number (221B), one to three name words, the street type,
# optionally a US direction; the town and the postcode are read after it.
_EN_ADDRESS_RE = re.compile(
    r"(?<![\w,.£$€])(?P<num>\d{1,5}[A-Za-z]?)\s+(?P<name>(?:[A-Za-z0-9][\w'’-]*\s+){1,3}?)"
    r"(?P<type>" + _STREET_TYPES_EN + r")\b\.?(?:\s+(?:NW|NE|SW|SE)\b)?",
    re.IGNORECASE,
)
# Words that do not name streets ("3 days on the road", "2 more minutes down the road").
_EN_STOP = frozenset({
    "the", "a", "an", "on", "in", "at", "to", "for", "of", "my", "your", "our", "their",
    "this", "that", "and", "or", "but", "is", "was", "be", "from", "by", "with", "days",
    "day", "hours", "hour", "minutes", "mins", "weeks", "week", "months", "years", "times",
    "more", "items", "miles", "km", "down", "up",
})
_UK_POSTCODE_RE = re.compile(r"[ \t]*,?[ \t]*([A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2})(?![\w])")
_US_STATE_ZIP_RE = re.compile(r"[ \t]*,?[ \t]*([A-Z]{2})[ \t]+(\d{5}(?:-\d{4})?)(?![\w])")
# "123 Main St Apt 4", "55 Water St, Unit 2B": the flat or unit after the street.
_UNIT_RE = re.compile(r"[ \t]*,?[ \t]*(?:apt|apartment|unit|suite|ste|flat|#)\.?[ \t]*#?\w{1,5}\b",
                      re.IGNORECASE)
# "14 Kings Road Chelsea SW3 4UD": a district named between the street and the postcode.
_DISTRICT_POSTCODE_RE = re.compile(
    r"(?:[ \t]+[A-Z][a-z'’-]+){1,2}(?=[ \t]*,?[ \t]*[A-Z]{1,2}\d[A-Z\d]?[ ]?\d[A-Z]{2}(?![\w]))")
_TOWN_RE = re.compile(r"[ \t]*,[ \t]*([A-Z][a-zà-ÿ'’]+(?:[ -][A-Z][a-zà-ÿ'’]+){0,2})")
_NAME_THEN_POSTCODE_RE = re.compile(
    r"[ \t]+(?:[^\W\d_][\w’'\-]*[ \t]+){0,4}[^\W\d_][\w’'\-]*[ \t]*,?[ \t]*"
    r"(?:\d{5}|\d{2} \d{3})[ \t]+[^\W\d_][\w’'\-]*"
)
# Capitalised words after a comma that are not towns.
_NOT_TOWNS = frozenset({
    "merci", "thanks", "thank", "cordialement", "regards", "bonjour", "hello", "svp",
    "please", "urgent", "help", "and", "et", "mais", "but", "je", "i",
})


def _plausible(raw: str, number: phonenumbers.PhoneNumber, region: str) -> bool:
    """Whether a matched number reads as a phone number as people type them.

    With its international prefix (+ or 00) a valid number, or one of the region's usual
    shape. Without: French and British national numbers start with their trunk 0
    ("2024-03-12 10" is a date, not London's 020 2403 1210); American ones must have the
    usual grouping ((415) 555-0198, 415-555-0198), not be a run of digits or a date.
    """
    shape = _PHONE_SHAPES.get(region)
    lead = raw.lstrip("( ")
    if lead.startswith(("+", "00")):
        return phonenumbers.is_valid_number(number) or bool(
            shape is not None and shape.fullmatch(raw))
    if region == "US":
        return shape is not None and shape.fullmatch(raw) is not None and (
            phonenumbers.is_valid_number(number) or phonenumbers.is_possible_number(number))
    if not lead.startswith("0"):
        return False
    return phonenumbers.is_valid_number(number) or bool(shape is not None and shape.fullmatch(raw))


def _with_town(text: str, end: int) -> int:
    """``end`` extended over ", Town" when a capitalised town name follows the street."""
    town = _TOWN_RE.match(text, end)
    if town is None or town.group(1).split()[0].lower() in _NOT_TOWNS:
        return end
    return town.end()

# Phone numbers: libphonenumber's matcher per region. A French inbox sees French numbers
# first, then British and American ones; a number with its + or 00 prefix is read in any
# region. VALID leniency checks the number against the region's plan; the two shapes below
# are also accepted when only POSSIBLE (fictional ranges people use, 07700 900123).
PHONE_REGIONS: tuple[str, ...] = ("FR", "GB", "US")
_PHONE_SHAPES: dict[str, re.Pattern[str]] = {
    "GB": re.compile(
        r"(?:\+44[ .-]?(?:\(0\))?[ .-]?|0044[ .-]?|\(?0)7\d{3}\)?[ .-]?\d{3}[ .-]?\d{3}"
    ),
    "US": re.compile(r"(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\)[ .-]?|[2-9]\d{2}[ .-])\d{3}[ .-]\d{4}"),
}
_MIN_PHONE_DIGITS = 8
# A phone word shortly before a number typed without the usual grouping ("my cell is
# 4155550198") makes an American number plausible.
_PHONE_WORD_RE = re.compile(
    r"(?:phone|tel|cell|mobile|number|num|call|text|ring|reach|contact|whatsapp|sms|"
    r"appel\w*|joindre|portable|num[ée]ro|t[ée]l[ée]phone)\b[^\d\n]{0,25}$",
    re.IGNORECASE,
)
_ANY_DIGIT_RE = re.compile(r"\d")
# A stretch of the characters phone numbers are typed with, from a digit, "+" or "(".
_PHONE_STRETCH_RE = re.compile(r"[\d+(][\d \t.\-()/+]{6,}[\d)]")


# A card number as printed, in groups of four: no phone plan groups digits so.
_CARD_GROUPS_RE = re.compile(r"\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?")


def _iban_shaped(candidate: str) -> bool:
    """Whether ``candidate`` has an IBAN's country code and that country's exact length
    (whatever its checksum says)."""
    compact = _compact_iban(candidate)
    expected = IBAN_LENGTHS.get(compact[:2])
    return expected is not None and len(compact) == expected


def _covered(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    """Whether every position of ``start:end`` lies in one of the ``taken`` spans.

    A phone match holds at least ``_MIN_PHONE_DIGITS`` digits, so at least one inside its
    stretch (the window adds one character each side); in a covered stretch it would
    overlap a span already found and be refused: the matcher need not run.
    """
    pos = start
    for s, e in sorted(taken):
        if s <= pos < e:
            pos = e
        if pos >= end:
            return True
    return False


def _compact_iban(candidate: str) -> str:
    """An IBAN as typed, without its spaces and dashes, upper-cased."""
    return re.sub(r"[\s-]", "", candidate).upper()


def iban_valid(candidate: str) -> bool:
    """True when ``candidate`` (spaces allowed) is a well-formed IBAN with a valid mod-97."""
    compact = _compact_iban(candidate)
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
    return re.compile(pattern, flags)


class PiiDetector:
    """Finds e-mails, phones, IBANs, cards, order/tracking numbers and postal addresses."""

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
        self._order = _compile_many([*data["order"], *config.order_patterns])
        self._tracking = _compile_many([*data["tracking"], *config.tracking_patterns])
        self._address = _compile(data["address"], re.IGNORECASE)

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

        for m in self._email.finditer(text):
            add("email", m.start(), m.end())
        # URLs and @handles hold long digit runs (tweet ids) that are not personal data;
        # reserve them without reporting.
        blocked = [(m.start(), m.end()) for m in self._url.finditer(text)]
        blocked += [(m.start(), m.end()) for m in self._handle.finditer(text)]
        for span in blocked:
            if not any(span[0] < e and s < span[1] for s, e in taken):
                taken.append(span)

        # Everything below holds digits (``\d``: every pattern below reads its digits so).
        if _ANY_DIGIT_RE.search(text) is not None:
            # Numbers shaped like an account or a card but failing their checksum (a typo)
            # are not reported, yet no phone number hides inside them: the phone matcher,
            # the costliest step, skips them.
            not_phones: list[tuple[int, int]] = []
            for m in self._iban.finditer(text):
                start, end = self._iban_bounds(text, m.start(), m.end())
                if end:
                    add("iban", start, end)
                elif _iban_shaped(m.group()):
                    not_phones.append((m.start(), m.end()))
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
                # Issuer prefixes 2-6 (Mastercard, Amex, Visa...) cut chance hits.
                if raw[0] in "23456" and luhn_valid(raw):
                    add("card", m.start(), m.start() + len(raw))
                elif _CARD_GROUPS_RE.fullmatch(raw):
                    not_phones.append((m.start(), m.start() + len(raw)))
            for start, end in self._addresses(text):
                add("address", start, end)
            for start, end in self._english_addresses(text):
                add("address", start, end)
            for start, end in self._phones(text, [*taken, *not_phones]):
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
                if word.lower() in _NOT_NAMES:
                    break  # "3 rue de la paix hier": the name ends before everyday words
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
            post = _POSTCODE_RE.match(text, end) if end > m.end() else None
            if post:
                end = post.end()
                city = _CITY_RE.match(text, end)
                if city:
                    end = city.end()
            elif end == m.end() or (
                not capitalised
                and (m.group("type").lower() in _AMBIGUOUS_TYPES or not particle)
            ):
                # Names typed in lower case without a particle ("rue émile zola") count
                # when a postcode and a town follow.
                named = _NAME_THEN_POSTCODE_RE.match(text, m.end())
                if named is not None:
                    end = named.end()
                elif (end := self._lower_name_end(text, m)) == 0:
                    continue
            else:
                end = _with_town(text, end)
            found.append((m.start(), end))
        return found

    @staticmethod
    def _lower_name_end(text: str, m: re.Match[str]) -> int:
        """End of a lower-case street name with no particle after an unambiguous street
        type ("15 rue victor hugo", "12 bd haussmann"), with a following postcode and town;
        0 when none."""
        if m.group("type").lower().rstrip(".") in _AMBIGUOUS_TYPES:
            return 0
        name = _LOWER_NAME_RE.match(text, m.end())
        if name is None or name.group(1).lower() in _NOT_NAMES or len(name.group(1)) < 3:
            return 0
        end = name.end(1)
        second = name.group(2)
        if second is not None and second.lower() not in _NOT_NAMES and len(second) >= 3:
            end = name.end(2)
        post = _POSTCODE_RE.match(text, end)
        if post:
            end = post.end()
            city = _CITY_RE.match(text, end)
            if city:
                end = city.end()
            return end
        return _with_town(text, end)

    @staticmethod
    def _english_addresses(text: str) -> list[tuple[int, int]]:
        """British and American street addresses, with the town and postcode that follow."""
        found: list[tuple[int, int]] = []
        for m in _EN_ADDRESS_RE.finditer(text):
            name_words = m.group("name").split()
            if any(w.lower() in _EN_STOP for w in name_words):
                continue
            # Lower-case typing is accepted for a single name word ("12 baker street").
            if len(name_words) > 1 and not any(w[0].isupper() or w[0].isdigit()
                                               for w in name_words):
                continue
            end = m.end()
            unit = _UNIT_RE.match(text, end)
            if unit is not None:
                end = unit.end()
            district = _DISTRICT_POSTCODE_RE.match(text, end)
            if district is not None:
                end = district.end()
            post = _UK_POSTCODE_RE.match(text, end) or _US_STATE_ZIP_RE.match(text, end)
            if post is None:
                town = _TOWN_RE.match(text, end)
                if town is not None:
                    after = _UK_POSTCODE_RE.match(text, town.end()) or _US_STATE_ZIP_RE.match(
                        text, town.end())
                    end = after.end() if after is not None else _with_town(text, end)
            else:
                end = post.end()
            found.append((m.start(), end))
        return found

    @staticmethod
    def _phones(text: str, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Phone numbers as people type them, through libphonenumber's matcher.

        Each region's matcher reads national forms of its own plan and international ones
        (+33, 0033, +44 (0)...) of any. A region's number is kept when valid, or when it has
        the region's usual shape (:data:`_PHONE_SHAPES`) and is at least possible.
        """
        out: list[tuple[int, int]] = []

        def free(start: int, end: int) -> bool:
            return not any(start < e and s < end for s, e in [*taken, *out])

        # The matcher is run on each stretch of phone characters (with one character of
        # context each side), not on the whole post: it is the detector's costliest step.
        for stretch in _PHONE_STRETCH_RE.finditer(text):
            if sum(ch.isdigit() for ch in stretch.group()) < _MIN_PHONE_DIGITS:
                continue
            if _covered(stretch.start(), stretch.end(), taken):
                continue  # an IBAN or a card already: any number in it would overlap
            base = max(0, stretch.start() - 1)
            window = text[base : stretch.end() + 1]
            for region in PHONE_REGIONS:
                if out and _covered(stretch.start(), stretch.end(), [*taken, *out]):
                    break  # an earlier region read the whole stretch
                shape = _PHONE_SHAPES.get(region)
                leniency = Leniency.POSSIBLE if shape is not None else Leniency.VALID
                for match in PhoneNumberMatcher(window, region, leniency=leniency):
                    start, end = base + match.start, base + match.end
                    if not free(start, end):
                        continue
                    if _plausible(match.raw_string, match.number, region) or (
                            region == "US" and phonenumbers.is_valid_number(match.number)
                            and _PHONE_WORD_RE.search(text, max(0, start - 40), start)):
                        out.append((start, end))
        return out
