"""The prefiltered ``PiiDetector.detect`` returns exactly what the plain scans returned.

``tone.pii`` skips a pattern's scan when a text lacks something the pattern requires,
replaces two shipped patterns by faster ones with the same matches, and scans for phone
candidates only inside runs of their characters. ``ReferenceDetector`` below is a frozen
copy of the detector before those changes; both must agree on the evaluation set, the
cases of test_pii.py, hand-written edge cases and seeded random strings, with and without
a brand's extra patterns.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Iterable

import phonenumbers
import pytest
from phonenumbers import Leniency, PhoneNumberMatcher

from tone import pii
from tone.config import ToneConfig
from tone.eval import load_mentions
from tone.lexicon import load_json
from tone.pii import (
    _AMBIGUOUS_TYPES,
    _CITY_RE,
    _PARTICLES,
    _POSTCODE_RE,
    _WORD_RE,
    IBAN_LENGTHS,
    PiiDetector,
)
from tone.types import PiiSpan

# -- frozen reference: tone/pii.py's detection before the prefilters -------------------------

_DIGIT_RE = re.compile(r"\d")


def _ref_iban_valid(candidate: str) -> bool:
    compact = re.sub(r"[\s-]", "", candidate).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", compact):
        return False
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def _ref_luhn_valid(candidate: str) -> bool:
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


class ReferenceDetector:
    """The detector as it was: every pattern scanned over the whole text."""

    def __init__(self, config: ToneConfig | None = None) -> None:
        config = config or ToneConfig()
        data = load_json("patterns")
        self._email = re.compile(data["email"])
        self._url = re.compile(data["url"], re.IGNORECASE)
        self._handle = re.compile(data["handle"])
        self._iban = re.compile(data["iban"])
        self._card = re.compile(data["card"])
        self._phone_candidate = re.compile(data["phone_candidate"])
        self._order = _compile_many([*data["order"], *config.order_patterns])
        self._tracking = _compile_many([*data["tracking"], *config.tracking_patterns])
        self._address = re.compile(data["address"], re.IGNORECASE)

    def detect(self, text: str) -> list[PiiSpan]:
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

        has_at = "@" in text
        if has_at:
            for m in self._email.finditer(text):
                add("email", m.start(), m.end())
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
            for regex in self._tracking:
                for m in regex.finditer(text):
                    add("tracking", *self._ref_bounds(m))
            for regex in self._order:
                for m in regex.finditer(text):
                    add("order", *self._ref_bounds(m))
            for m in self._card.finditer(text):
                raw = m.group().rstrip(" -")
                if raw[0] in "23456" and _ref_luhn_valid(raw):
                    add("card", m.start(), m.start() + len(raw))
            for start, end in self._addresses(text):
                add("address", start, end)
            for start, end in self._phones(text, taken):
                add("phone", start, end)
        spans.sort(key=lambda s: s.start)
        return spans

    @staticmethod
    def _ref_bounds(m: re.Match[str]) -> tuple[int, int]:
        if "ref" in m.re.groupindex and m.group("ref") is not None:
            return m.start("ref"), m.end("ref")
        return m.start(), m.end()

    @staticmethod
    def _iban_bounds(text: str, start: int, end: int) -> tuple[int, int]:
        raw = text[start:end]
        expected = IBAN_LENGTHS.get(raw[:2].upper())
        if expected is not None:
            count = 0
            for i, ch in enumerate(raw):
                if ch.isalnum():
                    count += 1
                    if count == expected:
                        rest = raw[i + 1 :]
                        if rest and rest[0].isalnum():
                            return 0, 0
                        raw = raw[: i + 1]
                        break
            else:
                return 0, 0
        if _ref_iban_valid(raw):
            return start, start + len(raw)
        return 0, 0

    def _addresses(self, text: str) -> list[tuple[int, int]]:
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
                        end = pos
                    continue
                if word[0].isupper():
                    capitalised = True
                elif capitalised or lower or not particle:
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
        out: list[tuple[int, int]] = []
        for cand in self._phone_candidate.finditer(text):
            c_start, c_end = cand.span()
            if any(s <= c_start and c_end <= e for s, e in taken):
                continue
            raw = cand.group()
            digit_count = sum(ch.isdigit() for ch in raw)
            lead = raw.lstrip("(")
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


# -- inputs ----------------------------------------------------------------------------------

VALID_IBAN = "FR76 3000 6000 0112 3456 7890 189"

# The texts of test_pii.py, as its tests build them.
PII_TEST_CASES = [
    *(
        f"@free rappelez-moi au {phone} svp"
        for phone in [
            "06 12 34 56 78", "0612345678", "06.12.34.56.78", "06-12-34-56-78",
            "+33 6 12 34 56 78", "+33612345678", "0033 6 12 34 56 78", "(+33) 7 81 22 33 44",
            "01 42 68 53 00", "+44 7911 123456", "+1 415 555 0132",
        ]
    ),
    "payé 45,90 € le 12/03/2024 à 14h30", "prix passé de 1 299 € à 1 349 €",
    "livraison le 12.03.2024 entre 9:45 et 18h",
    "vu ici https://twitter.com/leboncoin/status/1780123456789012345 lol",
    "https://x.com/free/status/1812345678901234567", "j'ai 12 500 abonnés et 3,2k likes",
    "@user_0612345678 tu as vu ?", "rendez-vous 2024-03-12 10:00",
    "code postal 75011 et 3615 ulla",
    "mon annonce https://www.leboncoin.fr/ad/voitures/2456789012", "06 12 34",
    "écrivez à jean.dupont+lbc@orange.fr merci", "@leboncoin @SFR_SAV help",
    f"mon RIB : {VALID_IBAN} merci", f"mon RIB : {VALID_IBAN[:-1]}8 merci",
    f"IBAN {VALID_IBAN} SVP", "carte 4111 1111 1111 1111 débitée",
    "carte 4111-1111-1111-1111 débitée", "carte 4111 1111 1111 1112 débitée",
    "amex 3782 822463 10005", "commande 123456789 jamais reçue",
    "commande n°A12345678 annulée", "ma cmd 987654321 svp", "order #A12345 is late",
    "order number 113-2345678-1234567 charged twice", "ma commande de 3 articles du 12/03",
    "suivi 6A12345678901 bloqué", "colis LA123456789FR perdu",
    "UPS 1Z999AA10123456784 returned", "suivi Mondial Relay 12345678 ne bouge pas",
    "il m'a donné 123456789012 pour Mondial Relay",
    *(
        f"livrez au {address}, merci"
        for address in [
            "12 rue de la Paix, 75002 Paris", "5 avenue Jean Jaurès 69007 Lyon",
            "27 bis rue Nationale, 59000 Lille", "8 bd Voltaire",
            "3 impasse des Lilas 33000 Bordeaux", "12 rue de la paix 75002 paris",
        ]
    ),
    "j'ai 2 places de concert à vendre", "3 cours de yoga par semaine", "2 rues plus loin",
    f"mail a.b@gmail.com tel 06 12 34 56 78 IBAN {VALID_IBAN} "
    "commande 123456789 suivi 6A12345678901",
    "blabla " * 3000 + "appelez le 06 12 34 56 78",
]  # fmt: skip

EDGE_CASES = [
    "", " ", "@", "@Brand", "0", "00", "+", "(+", "#", "/", "www.", "://",
    "06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678", "(+33)612345678",
    "(+33) 6 12 34 56 78", "0033 (0)6 12 34 56 78", "06/12/34/56/78", "06\t12\t34\t56\t78",
    "tel:0612345678", "a0612345678", "_0612345678", "00 33 6 12 34 56 78 00 33 6 12 34 56 79",
    "+44 20 7946 0958 ou +1 (415) 555-0132", "+(33)6 12 34 56 78", "((+(06 12 34 56 78",
    "0612345678061234567806123456780612345678", "+3361234567812345", "1 2 3 4 5 6 7 8 9 0",
    VALID_IBAN, VALID_IBAN.replace(" ", ""), VALID_IBAN.lower(), "xFR7630006000011234567890189",
    "GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432", "DE89 3704 0044 0532 0130 00",
    "BE68 5390 0754 7034", "FR76 3000 6000 0112 3456 7890 18", "IBAN: FR7630006000011234567890189.",
    "4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "5555 5555 5555 4444",
    "3782 822463 10005", "6011 1111 1111 1117", "4222222222222", "4222 2222 22222",
    "4111 1111 1111 1111.5", "4111 1111 1111 1111/",
    "commande n° 12345678", "commande n°12345678", "COMMANDE N° 12345678", "Commande 12345678",
    "commandes réf. AB-12345", "cmde numéro 99887766", "cde: 55555", "order #A1234-567",
    "ORDER NUMBER 113-2345678-1234567", "order id 1234567", "#CMD-12345", "#cmd12345",
    "#ORD-A1B2C3", "x#CDE-12345", "/#CMD-12345", "1Z999AA10123456784", "1z999aa10123456784",
    "6A12345678901", "LP123456789FR", "lp123456789fr", "colis 12345678901",
    "12345678901 chez chronopost", "12345678901 pour Mondial Relay", "12345678 via dpd",
    "suivi n° 12345678901234", "tracking number: 12345678", "Mondial   Relay 123456789",
    "expédition 12345678", "EXPÉDITION 12345678", "expedition 12345678,5",
    "12 rue de la Paix 75002 Paris", "3 place du marché", "3 Place du Marché", "1bis rue Haute",
    "27 ter, avenue Foch 75016 Paris", "4 allée des Pins", "4 ALLEE des Pins", "9 cité Lepic",
    "10 résidence les Lilas 13008 Marseille", "2 av. Jean Jaurès", "5 bd. Voltaire 75011",
    "a12 rue de la Paix", "1,2 rue de Paris", "12345 rue de Paris", "12 ruelle Basse",
    "ſuivi 12345678", "ſuıvı 12345678", "SUİVİ 12345678", "İ 12 rue de la Paix", "1K 3 rue Keller",
    "colıs 12345678901", "ﬁ commande 12345678", "ﬁ", "K", "ſ", "İ", "ı", "Σ 12345678",
    "commande ΣΑΣ 123456789", "cmd\u212a 12345678", "ordeR 12345678", "ORDER 12345678",
    "１２３４５６７８９ colis", "colis ١٢٣٤٥٦٧٨٩", "tel ٠٦١٢٣٤٥٦٧٨", "06 12 34 56 78 ٩",
    "mail a.b@gmail.com", "a@b", "x@@y.fr", "@a.b@c.de", ".@x.fr", "jean@orange.fr/x",
    "https://t.co/abc 06 12 34 56 78", "T.CO/abc 0612345678", "WWW.site.fr/12345678901",
    "bit.ly/06123456789", "pic.twitter.com/1Z999AA10123456784", "lbc.fr/12 rue de la Paix",
]  # fmt: skip

# Pieces glued at random into the random strings: keywords of every pattern (in several
# cases), identifiers that pass their checksums, and Unicode case oddities.
PIECES = [
    "commande", "Commande", "COMMANDE", "commandes", "cmd", "CMD", "cde", "cmde", "order",
    "ORDER", "number", "num", "numéro", "n°", "no.", "réf", "référence", "ref", "id", "#",
    "#CMD-", "#ORD", "#cde", "suivi", "SUIVI", "tracking", "track", "colis", "Colissimo",
    "parcel", "package", "expédition", "expedition", "mondial relay", "MondialRelay",
    "chronopost", "dpd", "DHL", "gls", "ups", "relais", "de suivi", "code", "pour", "chez",
    "via", "with", "rue", "Rue", "avenue", "av.", "bd", "blvd", "boulevard", "place",
    "chemin", "impasse", "allée", "allee", "route", "quai", "cours", "square", "passage",
    "faubourg", "fbg", "résidence", "residence", "lotissement", "hameau", "voie", "sentier",
    "esplanade", "promenade", "cité", "cite", "parvis", "villa", "bis", "ter", "de la", "du",
    "des", "d'", "Paix", "Paris", "Jean", "75002", "69 007", "@", "@Brand ", "@user_", "www.",
    "https://", "http://", "t.co/", "bit.ly/", "fb.me/", "lbc.fr/", "pic.twitter.com/",
    ".fr", ".com", "gmail", "FR76", "GB82", "DE89", "1Z", "1z", "LP", "FR", "+33", "0033",
    "(+33)", "+44", "+1", "06 ", "07", "00", "(0)", VALID_IBAN, "30006000011234567890189",
    "4111 1111 1111 1111", "4111111111111111", "3782 822463 10005", "5555555555554444",
    "4222222222222",
    "06 12 34 56 78", "0612345678", "+33 6 12 34 56 78", "1Z999AA10123456784",
    "6A12345678901", "LP123456789FR", "123456789012", "12345678", "113-2345678-1234567",
    "ſ", "İ", "ı", "K", "ﬁ", "Σ", "ς", "é", "É", "١٢٣", "１２", "LBC-", "REF-",
]  # fmt: skip
ALPHABET = (
    string.digits * 6 + " " * 12 + ".-/()+ \t,:#@°_'’" + string.ascii_letters
    + "éèàùçÉÈÀÇœŒ"
)  # fmt: skip


STREET_TYPES = [
    "rue", "Rue", "avenue", "av.", "bd", "place", "Place", "allée", "ALLEE", "cours", "cité",
    "résidence", "villa", "quai", "impasse", "route", "voie",
]  # fmt: skip
NAMES = [
    "de la Paix", "du marché", "Foch", "des Lilas", "d'Alsace", "de la paix", "Jean Jaurès",
    "Nationale", "l’Église", "demain", "", "de", "Victor Hugo, 75016 Paris",
]  # fmt: skip


def _address_like(rng: random.Random) -> str:
    number = str(rng.randint(1, 12000))
    extra = rng.choice(["", "", " bis", "ter", ","])
    tail = rng.choice(["", "", " 75002", ", 69 007 Lyon", " 13008 marseille"])
    return f"{number}{extra} {rng.choice(STREET_TYPES)} {rng.choice(NAMES)}{tail}"


def _email_like(rng: random.Random) -> str:
    user = "".join(rng.choice("abz09._%+-") for _ in range(rng.randint(0, 8)))
    host = rng.choice(["orange.fr", "gmail.com", "x", "a-b.co.uk", "sfr.f"])
    return f"{rng.choice(['j', '.', '0', 'É', ''])}{user}@{host}"


JOINERS = ["", "", " ", " ", " ", " ", ", ", ": ", "\t", "-", "/", "."]


def _random_strings(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 12)):
            roll = rng.random()
            if roll < 0.06:
                parts.append(_address_like(rng))
            elif roll < 0.1:
                parts.append(_email_like(rng))
            elif roll < 0.4:
                parts.append(rng.choice(PIECES))
            else:
                parts.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 14))))
        # Mostly spaces between the pieces, so that keywords stand as words.
        out.append("".join(part + rng.choice(JOINERS) for part in parts))
    return out


def _corpus() -> list[str]:
    mentions = [row["text"] for row in load_mentions()]
    return [*mentions, *(f"@Brand {t}" for t in mentions), *PII_TEST_CASES, *EDGE_CASES]


RANDOM = _random_strings(20_000, seed=2024)

BRAND = ToneConfig(
    order_patterns=(r"\bLBC-(?P<ref>\d{8})\b", r"\bdossier\s+(?P<ref>[A-Z]{2}\d{3,})"),
    tracking_patterns=(r"\bREF-(?P<ref>[A-Z]{6})\b", r"\bcolis\s+[A-Z]{3}\d{6}\b"),
)
BRAND_PIECES = ["LBC-12345678", "LBC-1234567", "dossier AB123", "REF-ABCDEF", "colis ABC123456"]


# -- tests -----------------------------------------------------------------------------------


def _assert_same(new: PiiDetector, reference: ReferenceDetector, texts: Iterable[str]) -> int:
    found = 0
    for text in texts:
        expected = reference.detect(text)
        assert new.detect(text) == expected, text
        found += bool(expected)
    return found


def test_same_spans_on_mentions_pii_cases_and_edge_cases():
    found = _assert_same(PiiDetector(), ReferenceDetector(), _corpus())
    assert found > 200  # the inputs do exercise the detectors


def test_same_spans_on_random_strings():
    found = _assert_same(PiiDetector(), ReferenceDetector(), RANDOM)
    assert found > 4000


def test_same_spans_with_brand_patterns():
    rng = random.Random(7)
    texts = [
        *_corpus(),
        *(
            f"{rng.choice(BRAND_PIECES)} {text} {rng.choice(BRAND_PIECES)}"
            for text in RANDOM[:5000]
        ),
        *BRAND_PIECES,
    ]
    reference = ReferenceDetector(BRAND)
    # The brand's patterns do add spans to the shipped ones.
    assert sum(reference.detect(t) != ReferenceDetector().detect(t) for t in texts) > 1000
    _assert_same(PiiDetector(BRAND), reference, texts)
    # A brand pattern that needs no digit of its own is still scanned.
    assert [p.kind for p in PiiDetector(BRAND).detect("colis ABC123456")] == ["tracking"]


def _shipped_patterns() -> dict[str, int]:
    """Every pattern of tone/data/patterns.json with the flags the detector compiles it with."""
    data = load_json("patterns")
    flags = {"url": re.IGNORECASE, "address": re.IGNORECASE, "order": re.IGNORECASE,
             "tracking": re.IGNORECASE}  # fmt: skip
    out = {}
    for key, value in data.items():
        if key.startswith("_"):
            continue
        for pattern in value if isinstance(value, list) else [value]:
            out[pattern] = flags.get(key, 0)
    return out


def test_fast_paths_cover_the_shipped_patterns():
    # Not needed for correctness (an unknown pattern is simply scanned), but a pattern
    # edited in the data file silently loses its prefilter: update tone/pii.py with it.
    shipped = _shipped_patterns()
    assert set(pii._NEEDS) <= set(shipped)
    assert set(pii._EQUIVALENTS) <= set(shipped)
    assert pii._PHONE_CANDIDATE in shipped
    assert len(pii._NEEDS) == 12 and len(pii._EQUIVALENTS) == 2


def test_prefilters_never_reject_a_text_that_matches():
    shipped = _shipped_patterns()
    texts = [*_corpus(), *RANDOM]
    for pattern, needs in pii._NEEDS.items():
        regex = re.compile(pattern, shipped[pattern])
        matched = 0
        for text in texts:
            if regex.search(text):
                matched += 1
                assert pii._Facts(text).may_match(needs), (pattern, text)
        assert matched, pattern


def test_equivalent_patterns_find_the_same_matches():
    shipped = _shipped_patterns()
    texts = [*_corpus(), *RANDOM]
    for original, faster in pii._EQUIVALENTS.items():
        slow = re.compile(original, shipped[original])
        fast = re.compile(faster, shipped[original])
        assert slow.groupindex == fast.groupindex
        matched = 0
        for text in texts:
            want = [(m.span(), m.regs) for m in slow.finditer(text)]
            assert [(m.span(), m.regs) for m in fast.finditer(text)] == want, text
            matched += bool(want)
        assert matched > 1000, original


def test_phone_regions_hold_every_candidate():
    candidate = re.compile(pii._PHONE_CANDIDATE)
    detector = PiiDetector()
    for text in [*_corpus(), *RANDOM]:
        want = [m.span() for m in candidate.finditer(text)]
        assert [m.span() for m in detector._phone_candidates(text)] == want, text


def test_case_oddities_cover_every_code_point():
    """Each character a keyword prefilter looks for in ``text.lower()`` is matched under
    re.IGNORECASE only by characters that lower-case to it, or by a listed oddity."""
    everything = "".join(map(chr, range(0x110000)))
    letters = {ch for needs in pii._NEEDS.values() for word in needs.words for ch in word}
    assert letters >= set("commandeorsuivtkp")
    for ch in sorted(letters):
        assert ch == ch.lower()
        for form in (re.escape(ch), f"[{re.escape(ch)}]"):
            for other in re.findall(form, everything, re.IGNORECASE):
                assert other.lower() == ch or other in pii._CASE_ODDITIES, (ch, hex(ord(other)))
    # And each oddity is one (it is matched by a letter it does not lower-case to).
    for odd in pii._CASE_ODDITIES:
        assert any(
            re.fullmatch(ch, odd, re.IGNORECASE) and odd.lower() != ch
            for ch in string.ascii_lowercase
        )


@pytest.mark.parametrize("text", ["ſuivi 12345678", "SUİVİ 12345678", "commande 12345678ı"])
def test_case_oddities_still_scan(text):
    # "ſuivi" matches the tracking keyword "suivi" under re.IGNORECASE, yet its lower
    # case does not contain "suivi": the keyword prefilter must not skip the scan.
    found = PiiDetector().detect(text)
    assert found == ReferenceDetector().detect(text)
    assert found
