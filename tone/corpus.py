"""The labelled triage corpus: ``python -m tone.corpus`` rebuilds ``tone/data/corpus.jsonl``.

Every message starts from one hand-written line of ``tone/data/corpus/*.txt`` (see
``tone/data/README.md``). Each line is kept as written, and is also rewritten once or twice
the way people type on social media: the brand's handle at the start or the end, lower case,
accents dropped, SMS spellings, a typo, emoji, a hashtag, a link, shouting, a greeting. Some
copies get personal data appended in the many forms people type it (phone numbers, postal
addresses, e-mails, order numbers) with the exact spans recorded, and some get look-alikes
that are not personal data (prices, dates, times, flight numbers). The output is the same
for the same files: the random generator is seeded per line.

The family of a message is the situation its line was written for (the ``###`` header); the
train/test split is drawn per family, so no test message has a near-twin in training.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import phonenumbers

from tone.types import CATEGORIES, URGENCY_FLAGS

DATA = Path(__file__).resolve().parent / "data"
SOURCES = DATA / "corpus"
OUTPUT = DATA / "corpus.jsonl"
# Share of families drawn into the test split.
TEST_SHARE = 0.25

BRANDS_FR = (
    "@leboncoin", "@Vinted", "@free", "@orange", "@SFR", "@bouyguestelecom", "@laposte",
    "@Colissimo", "@chronopost", "@MondialRelay", "@SNCF", "@airfrance", "@UberEats_FR",
    "@Deliveroo_FR", "@BoursoBank", "@N26", "@Revolut", "@Fnac", "@Darty_Officiel",
    "@AmazonFR", "@Cdiscount", "@EDFofficiel", "@ENGIEfrance", "@MAIF", "@AXAFrance",
    "@Decathlon", "@IKEAFrance", "@BackMarketFR", "@bookingcom", "@Airbnb_FR", "@Lydia_App",
    "@Carrefour", "@ouigo", "@TransaviaFR", "@Veepee",
)  # fmt: skip
BRANDS_EN = (
    "@AmazonUK", "@RoyalMail", "@EvriHelp", "@DPD_UK", "@BTCare", "@virginmedia",
    "@VodafoneUK", "@ThreeUK", "@eBay", "@Etsy", "@monzo", "@RevolutApp", "@British_Airways",
    "@Ryanair", "@JustEatUK", "@Deliveroo", "@Uber_Support", "@Argos", "@Tesco",
    "@BritishGas", "@octopus_energy", "@AppleSupport", "@SamsungUK", "@DoorDash_Help",
    "@Comcast", "@Verizon", "@USPS", "@FedExHelp", "@AskPayPal", "@Airbnb", "@Zara",
)  # fmt: skip

SMS_FR: tuple[tuple[str, str], ...] = (
    ("bonjour", "bjr"), ("s'il vous plaît", "svp"), ("s'il vous plait", "svp"),
    ("s'il te plaît", "stp"), ("je ne sais pas", "jsp"), ("je sais pas", "jsp"),
    ("pourquoi", "pk"), ("quoi", "koi"), ("c'est", "c"), ("aujourd'hui", "ajd"),
    ("beaucoup", "bcp"), ("toujours", "tjrs"), ("quelqu'un", "qqn"), ("quelque chose", "qqch"),
    ("je suis", "chui"), ("j'ai", "g"), ("rien", "ri1"), ("vous", "vs"), ("maintenant", "mtn"),
    ("salut", "slt"), ("merci", "mrc"), ("depuis", "dpuis"), ("commande", "cmd"),
    ("message", "msg"), ("numéro", "num"), ("téléphone", "tel"), ("bloqué", "bloké"),
    ("je peux", "jpeux"), ("je ne peux", "jpeux"), ("je vais", "jvais"), ("ce que", "ske"),
)  # fmt: skip
SMS_EN: tuple[tuple[str, str], ...] = (
    ("please", "pls"), ("you", "u"), ("your", "ur"), ("are", "r"), ("thanks", "thx"),
    ("before", "b4"), ("tonight", "2nite"), ("because", "cos"), ("don't know", "dunno"),
    ("I don't", "i dont"), ("can't", "cant"), ("for", "4"), ("to be honest", "tbh"),
    ("message", "msg"), ("account", "acc"), ("people", "ppl"),
)  # fmt: skip
EMOJI_NEG = ("😡", "🤬", "😤", "🙄", "😭", "😢", "😠", "💀", "😒", "🤡")
EMOJI_POS = ("🙏", "😍", "👍", "❤️", "🥰", "👏", "🔥", "😊", "💯")
EMOJI_URGENT = ("🚨", "⚠️", "😱", "🆘")
# Hashtags people add: generic complaint tags, plus a few that match the category.
HASHTAGS_FR = ("#SAV", "#serviceclient", "#nul", "#help", "#fail", "#honte", "#boycott")
HASHTAGS_EN = ("#customerservice", "#fail", "#help", "#shameful", "#boycott", "#nothappy")
HASHTAGS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "delivery": ("#colis", "#livraison", "#delivery", "#parcel"),
    "payment": ("#remboursement", "#refund", "#facture"),
    "fraud": ("#arnaque", "#scam", "#phishing"),
    "praise": ("#merci", "#thanks", "#top", "#bravo"),
    "technical": ("#panne", "#bug", "#outage"),
}
GREETINGS_FR = (("Bonjour, ", " Merci d'avance."), ("Bonsoir, ", " Cordialement."),
                ("Hello, ", ""), ("Madame, Monsieur, ", " Bien à vous."), ("", " Merci"))
GREETINGS_EN = (("Hi, ", " Thanks in advance."), ("Hello, ", " Regards."),
                ("Dear team, ", " Kind regards."), ("", " Thanks"), ("Hey ", ""))

FR_CITIES = (
    ("75011", "Paris"), ("69003", "Lyon"), ("13008", "Marseille"), ("31000", "Toulouse"),
    ("33000", "Bordeaux"), ("59000", "Lille"), ("44000", "Nantes"), ("67000", "Strasbourg"),
    ("06000", "Nice"), ("35000", "Rennes"), ("34000", "Montpellier"),
    ("92100", "Boulogne-Billancourt"), ("93200", "Saint-Denis"), ("21000", "Dijon"),
    ("76000", "Rouen"), ("29200", "Brest"), ("74000", "Annecy"), ("97400", "Saint-Denis"),
)  # fmt: skip
FR_STREET_TYPES = ("rue", "avenue", "av.", "bd", "boulevard", "allée", "impasse", "chemin",
                   "place", "quai", "route", "cours", "rue", "rue", "avenue", "bd")
FR_STREET_NAMES = (
    "de la République", "Victor Hugo", "des Lilas", "Jean Jaurès", "du Général de Gaulle",
    "Pasteur", "de Paris", "Gambetta", "des Écoles", "du Moulin", "de la Gare",
    "Émile Zola", "des Tilleuls", "Saint-Michel", "de Verdun", "Foch", "des Roses",
    "Nationale", "du Port", "de la Liberté", "Voltaire", "des Acacias", "Carnot",
)  # fmt: skip
UK_PLACES = (
    ("London", "NW1 6XE"), ("London", "SW1A 2AA"), ("Manchester", "M1 1AE"),
    ("Leeds", "LS1 4DY"), ("Birmingham", "B33 8TH"), ("Edinburgh", "EH1 1YZ"),
    ("Bristol", "BS1 5TR"), ("Cardiff", "CF10 1EP"), ("Glasgow", "G2 3EX"),
    ("Liverpool", "L1 8JQ"), ("Sheffield", "S1 2HE"), ("Brighton", "BN1 1AE"),
)  # fmt: skip
UK_STREET_TYPES = ("Street", "St", "Road", "Rd", "Avenue", "Ave", "Lane", "Close", "Drive",
                   "Way", "Crescent", "Gardens", "Terrace", "Hill", "Park Road", "Grove")
UK_STREET_NAMES = ("Baker", "High", "Station", "Church", "Victoria", "Mill", "Park", "Queens",
                   "Kings", "London", "Oxford", "Elm", "Albert", "Manor", "Green")
US_PLACES = (
    ("New York", "NY", "10118"), ("Austin", "TX", "78701"), ("Chicago", "IL", "60601"),
    ("San Francisco", "CA", "94103"), ("Seattle", "WA", "98101"), ("Boston", "MA", "02108"),
    ("Denver", "CO", "80202"), ("Miami", "FL", "33130"), ("Portland", "OR", "97205"),
)  # fmt: skip
US_STREET_TYPES = ("Street", "St", "Ave", "Avenue", "Blvd", "Rd", "Road", "Drive", "Dr",
                   "Lane", "Ln", "Way", "Ct", "Pl")
US_STREET_NAMES = ("Main", "Oak", "Maple", "Pine", "Cedar", "Elm", "Washington", "Lake",
                   "Hill", "Sunset", "5th", "Market", "Mission", "Broadway", "2nd", "Park")
EMAIL_USERS = ("julie.martin", "k.benali", "thomas_dupont92", "sarah.j", "mike.o",
               "nadia.b", "lea1987", "jdoe", "p.nguyen", "chloe.r")
EMAIL_DOMAINS = ("gmail.com", "hotmail.fr", "yahoo.fr", "orange.fr", "outlook.com",
                 "icloud.com", "free.fr", "btinternet.com", "yahoo.co.uk", "proton.me")

PHONE_CONTEXTS_FR = ("Mon numéro : {}", "rappelez-moi au {} svp", "joignable au {}",
                     "tel {}", "appelez moi au {} c'est urgent", "vous pouvez me joindre au {}",
                     "mon 06 a changé, c'est {} maintenant", "contactez-moi : {}",
                     "{} rappelez moi")
PHONE_CONTEXTS_EN = ("My number is {}", "call me back on {} please", "reach me on {}",
                     "tel {}", "ring me at {}", "you can text me at {}", "{} call me asap",
                     "contact: {}")
ADDRESS_CONTEXTS_FR = ("livrez au {} svp", "j'habite {}", "mon adresse : {}",
                       "adresse de livraison {}", "le colis devait arriver au {}",
                       "je suis au {} si besoin", "envoyez le technicien au {}")
ADDRESS_CONTEXTS_EN = ("deliver to {} please", "I live at {}", "my address is {}",
                       "delivery address: {}", "it was meant to go to {}",
                       "send the engineer to {}", "I'm at {} if needed")
EMAIL_CONTEXTS = ("mail : {}", "écrivez-moi à {}", "email me at {}", "{}")
ORDER_CONTEXTS_FR = ("commande n° {}", "ma commande {}", "cmd {}", "référence commande {}")
ORDER_CONTEXTS_EN = ("order number {}", "order #{}", "order {}")
DISTRACTORS_FR = ("payé 1 249,90 € le 12/11", "livraison prévue le 03.12.2026 entre 9h et 13h",
                  "vol AF 1234 de 18h45", "j'ai 2 places de concert", "depuis le 14 mars 2025",
                  "3 cours de yoga par semaine", "facture de 89,99€", "à 14h30 pile",
                  "ça fait 2 500 € au total", "mon 3e message", "code postal 75011")
DISTRACTORS_EN = ("paid £1,249.90 on 12/11", "flight BA 2490 at 6:45pm", "order of 3 items",
                  "since 14 March 2025", "that's $2,500 in total", "my 3rd message",
                  "between 9am and 1pm", "room 214", "2 seats for the concert")


@dataclass
class Family:
    """One situation: its labels and its hand-written messages."""

    key: str
    language: str
    category: str
    urgency: tuple[str, ...]
    lines: list[str] = field(default_factory=list)


def read_sources(directory: Path = SOURCES) -> list[Family]:
    """Parse every ``*.txt`` source file (``### lang | category | flags | family``)."""
    families: list[Family] = []
    for path in sorted(directory.glob("*.txt")):
        current: Family | None = None
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.strip()
            if not line or (line.startswith("#") and not line.startswith("###")):
                continue
            if line.startswith("###"):
                parts = [p.strip() for p in line[3:].split("|")]
                if len(parts) != 4:
                    raise ValueError(f"{path.name}:{number}: bad header {line!r}")
                lang, category, flags, key = parts
                urgency = tuple(f for f in flags.split(",") if f and f != "-")
                if category not in CATEGORIES or any(f not in URGENCY_FLAGS for f in urgency):
                    raise ValueError(f"{path.name}:{number}: unknown label in {line!r}")
                current = Family(key, lang, category, urgency)
                families.append(current)
            elif current is None:
                raise ValueError(f"{path.name}:{number}: message before any header")
            else:
                current.lines.append(line)
    keys = [f.key for f in families]
    duplicated = {k for k in keys if keys.count(k) > 1}
    if duplicated:
        raise ValueError(f"family keys used twice: {sorted(duplicated)}")
    return families


def sentiment_of(family: Family) -> str:
    """The sentiment label a reader gives the family's messages.

    Praise reads positive; anything urgent or complaining reads negative, whatever its
    polite words; questions and small talk read neutral.
    """
    if family.category == "praise":
        return "positive"
    if family.urgency:
        return "negative"
    if "question" in family.key or (family.category == "other" and "irony" not in family.key):
        return "neutral"
    return "negative"


def _rank(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def test_families(families: list[Family]) -> set[str]:
    """The families drawn into the test split, stratified by labels.

    Families with the same labels (language, category and flags) are ordered by a hash of
    their key and every fourth goes to test, starting with the first when there are at
    least two, so every label has test families and the draw is stable when lines are added.
    """
    strata: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
    for f in families:
        strata.setdefault((f.language, f.category, f.urgency), []).append(f.key)
    chosen: set[str] = set()
    step = round(1 / TEST_SHARE)
    for keys in strata.values():
        keys.sort(key=_rank)
        if len(keys) >= 2:
            chosen.update(keys[::step])
    return chosen


def strip_accents(text: str) -> str:
    """Drop combining accents, as people typing on a phone often do."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


def _sms(text: str, rng: random.Random, table: tuple[tuple[str, str], ...]) -> str:
    for long, short in table:
        if rng.random() < 0.7:
            text = re.sub(rf"(?i)(?<!\w){re.escape(long)}(?!\w)", short, text)
    return text


def _typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    k = rng.randrange(1, len(w) - 1)
    kind = rng.random()
    if kind < 0.4:
        w = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
    elif kind < 0.7:
        w = w[:k] + w[k + 1 :]
    else:
        w = w[:k] + w[k] + w[k:]
    words[i] = w
    return " ".join(words)


def _restyle(text: str, family: Family, rng: random.Random) -> str:
    """One social-media rewrite of a hand-written line."""
    fr = family.language == "fr"
    negative = family.category != "praise"
    steps: list[Callable[[str], str]] = []
    if rng.random() < 0.35:
        steps.append(lambda t: _sms(t, rng, SMS_FR if fr else SMS_EN))
    if rng.random() < 0.3:
        steps.append(strip_accents)
    if rng.random() < 0.3:
        steps.append(str.lower)
    if rng.random() < 0.3:
        steps.append(lambda t: _typo(t, rng))
    if rng.random() < 0.25:
        steps.append(lambda t: re.sub(r"[.,;:!?]+$", "", t))
    if rng.random() < 0.12:
        steps.append(str.upper)
    if rng.random() < 0.2:
        greet = rng.choice(GREETINGS_FR if fr else GREETINGS_EN)
        steps.append(lambda t: greet[0] + t[:1].lower() + t[1:] + greet[1])
    if rng.random() < 0.3:
        pool = EMOJI_POS if not negative else (EMOJI_URGENT if family.urgency else EMOJI_NEG)
        steps.append(lambda t: t + " " + rng.choice(pool) * rng.choice((1, 1, 2, 3)))
    if rng.random() < 0.2:
        tags = HASHTAGS_BY_CATEGORY.get(family.category, ())
        if negative and rng.random() < 0.5:
            tags = HASHTAGS_FR if fr else HASHTAGS_EN
        if tags:
            steps.append(lambda t: t + " " + rng.choice(tags))
    if rng.random() < 0.15:
        steps.append(lambda t: t + rng.choice(("!!!", " !!", "??", " ?!", "...")))
    if rng.random() < 0.12:
        code = "".join(rng.choice("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
                       for _ in range(10))
        steps.append(lambda t: t + f" https://t.co/{code}")
    for step in steps:
        text = step(text)
    return text


def _with_brand(text: str, family: Family, rng: random.Random) -> str:
    brands = BRANDS_FR if family.language == "fr" else BRANDS_EN
    if family.language == "fr" and rng.random() < 0.15:
        brands = BRANDS_EN  # French customers of international brands
    where = rng.random()
    if where < 0.45:
        return f"{rng.choice(brands)} {text}"
    if where < 0.7:
        return f"{text} {rng.choice(brands)}"
    return text


# -- personal data --------------------------------------------------------------------


def _valid(raw: str, region: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(raw, region))
    except phonenumbers.NumberParseException:
        return False


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def fr_phone(rng: random.Random) -> str:
    """A valid French number in one of the ways people type it."""
    while True:
        first = rng.choice("6677123459")
        digits = "0" + first + _digits(rng, 8)
        if _valid(digits, "FR"):
            break
    d = digits
    pairs = [d[i : i + 2] for i in range(0, 10, 2)]
    national = d[1:]
    forms = [
        " ".join(pairs), d, ".".join(pairs), "-".join(pairs),
        "+33 " + national[0] + " " + " ".join(pairs[1:]), "+33" + national,
        "0033 " + national[0] + " " + " ".join(pairs[1:]),
        "+33 (0)" + national[0] + " " + " ".join(pairs[1:]),
        "+33 " + national[0] + "." + ".".join(pairs[1:]),
        d[:2] + " " + d[2:6] + " " + d[6:], "(+33) " + national[0] + " " + " ".join(pairs[1:]),
        "+33 " + national[:3] + " " + national[3:6] + " " + national[6:],
    ]  # fmt: skip
    return rng.choice(forms)


def uk_phone(rng: random.Random) -> str:
    """A valid UK number (mobile or London/regional landline) as typed."""
    groups: tuple[str, ...]
    while True:
        kind = rng.random()
        if kind < 0.6:
            national = "7" + rng.choice("1234789") + _digits(rng, 8)
            groups = (national[:4], national[4:])
        elif kind < 0.8:
            national = "20" + rng.choice("378") + _digits(rng, 7)
            groups = (national[:2], national[2:6], national[6:])
        else:
            national = "161" + rng.choice("2345789") + _digits(rng, 6)
            groups = (national[:3], national[3:6], national[6:])
        if _valid("0" + national, "GB"):
            break
    forms = [
        "0" + " ".join(groups), "0" + national, "+44 " + " ".join(groups), "+44" + national,
        "0044 " + " ".join(groups), "+44 (0)" + " ".join(groups), "(0" + groups[0] + ") "
        + " ".join(groups[1:]),
    ]
    return rng.choice(forms)


def us_phone(rng: random.Random) -> str:
    """A valid US number as typed."""
    while True:
        area = rng.choice(("212", "415", "646", "312", "617", "206", "305", "512", "303"))
        exchange = rng.choice("23456789") + "".join(rng.choice("0123456789") for _ in range(2))
        line = "".join(rng.choice("0123456789") for _ in range(4))
        if _valid(area + exchange + line, "US"):
            break
    forms = [f"({area}) {exchange}-{line}", f"{area}-{exchange}-{line}",
             f"{area}.{exchange}.{line}",
             f"+1 {area} {exchange} {line}", f"1-{area}-{exchange}-{line}",
             f"+1 ({area}) {exchange}-{line}", f"{area} {exchange} {line}"]
    return rng.choice(forms)


def fr_address(rng: random.Random) -> str:
    """A French street address: number, street type and name, often postcode and city."""
    num = str(rng.choice((rng.randint(1, 30), rng.randint(1, 250))))
    if rng.random() < 0.1:
        num += rng.choice((" bis", " ter", "bis"))
    street = f"{num} {rng.choice(FR_STREET_TYPES)} {rng.choice(FR_STREET_NAMES)}"
    if rng.random() < 0.2:
        street = street.lower()
    roll = rng.random()
    postcode, city = rng.choice(FR_CITIES)
    if roll < 0.45:
        return f"{street}, {postcode} {city}"
    if roll < 0.75:
        return f"{street} {postcode} {city}"
    if roll < 0.85:
        return f"{street}, {city}"
    return street


def uk_address(rng: random.Random) -> str:
    """A UK address: number, street, often town and postcode."""
    city, postcode = rng.choice(UK_PLACES)
    street = f"{rng.randint(1, 220)} {rng.choice(UK_STREET_NAMES)} {rng.choice(UK_STREET_TYPES)}"
    roll = rng.random()
    if roll < 0.5:
        return f"{street}, {city} {postcode}"
    if roll < 0.7:
        return f"{street}, {city}, {postcode}"
    if roll < 0.85:
        return f"{street} {postcode}"
    return street


def us_address(rng: random.Random) -> str:
    """A US address: number, street, city, state and ZIP."""
    city, state, zipcode = rng.choice(US_PLACES)
    street = f"{rng.randint(10, 9999)} {rng.choice(US_STREET_NAMES)} {rng.choice(US_STREET_TYPES)}"
    roll = rng.random()
    if roll < 0.6:
        return f"{street}, {city}, {state} {zipcode}"
    if roll < 0.8:
        return f"{street}, {city} {state} {zipcode}"
    return street


def _append(text: str, context: str, value: str, rng: random.Random) -> tuple[str, int, int]:
    sep = rng.choice((" ", ", ", ". ", " - ", "\n"))
    prefix = text + sep
    before, after = context.split("{}")
    start = len(prefix) + len(before)
    return prefix + before + value + after, start, start + len(value)


def add_pii(text: str, family: Family, rng: random.Random) -> tuple[str, list[dict[str, Any]]]:
    """Append one piece of personal data (or a look-alike) and return its labelled span."""
    fr = family.language == "fr"
    roll = rng.random()
    if roll < 0.4:
        region = rng.random()
        if fr:
            value = fr_phone(rng) if region < 0.85 else uk_phone(rng)
        else:
            value = (uk_phone(rng) if region < 0.5
                     else us_phone(rng) if region < 0.85 else fr_phone(rng))
        context, kind = rng.choice(PHONE_CONTEXTS_FR if fr else PHONE_CONTEXTS_EN), "phone"
    elif roll < 0.7:
        if fr:
            value = fr_address(rng)
        else:
            value = uk_address(rng) if rng.random() < 0.55 else us_address(rng)
        context, kind = rng.choice(ADDRESS_CONTEXTS_FR if fr else ADDRESS_CONTEXTS_EN), "address"
    elif roll < 0.8:
        value = f"{rng.choice(EMAIL_USERS)}@{rng.choice(EMAIL_DOMAINS)}"
        context, kind = rng.choice(EMAIL_CONTEXTS), "email"
    elif roll < 0.88:
        value = str(rng.randint(10_000_000, 999_999_999))
        context, kind = rng.choice(ORDER_CONTEXTS_FR if fr else ORDER_CONTEXTS_EN), "order"
    else:
        distractor = rng.choice(DISTRACTORS_FR if fr else DISTRACTORS_EN)
        return f"{text} {distractor}", []
    new_text, start, end = _append(text, context, value, rng)
    return new_text, [{"kind": kind, "start": start, "end": end}]


def build(families: list[Family]) -> Iterator[dict[str, Any]]:
    """The corpus rows: each line as written, plus its rewrites."""
    test = test_families(families)
    for family in families:
        split = "test" if family.key in test else "train"
        for n, line in enumerate(family.lines):
            rng = random.Random(f"{family.key}/{n}/{line}")
            variants = [_with_brand(line, family, rng)]
            variants.append(_with_brand(_restyle(line, family, rng), family, rng))
            if rng.random() < 0.5:
                variants.append(_with_brand(_restyle(line, family, rng), family, rng))
            seen: set[str] = set()
            for v, text in enumerate(variants):
                pii: list[dict[str, Any]] = []
                if rng.random() < 0.3:
                    text, pii = add_pii(text, family, rng)
                if text in seen:
                    continue
                seen.add(text)
                yield {
                    "id": f"{family.key}/{n}.{v}",
                    "family": family.key,
                    "text": text,
                    "language": family.language,
                    "category": family.category,
                    "urgency": list(family.urgency),
                    "sentiment": sentiment_of(family),
                    "pii": pii,
                    "split": split,
                    "source": "written" if v == 0 else "restyled",
                }


CORRECTIONS = DATA / "corrections"


def load_extra(directory: Path = CORRECTIONS) -> list[dict[str, Any]]:
    """Labelled lines exported from agents' corrections (``flask triage export``).

    Files ``tone/data/corrections/*.jsonl`` dropped there are trained on (always in the
    train split, each its own family); the directory is empty in a fresh clone.
    """
    rows: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.jsonl")) if directory.is_dir() else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            if item.get("category") not in CATEGORIES or not isinstance(item.get("text"), str):
                continue
            urgency = [f for f in item.get("urgency") or [] if f in URGENCY_FLAGS]
            rows.append({
                "id": f"correction/{item.get('id', len(rows))}",
                "family": f"correction/{item.get('id', len(rows))}",
                "text": item["text"],
                "language": item.get("language") or "fr",
                "category": item["category"],
                "urgency": urgency,
                "sentiment": item.get("sentiment")
                or ("positive" if item["category"] == "praise" else "negative"),
                "pii": [],
                "split": "train",
                "source": "correction",
            })
    return rows


def load_corpus(path: Path = OUTPUT) -> list[dict[str, Any]]:
    """Read the corpus JSON lines."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main() -> int:
    """Rebuild ``tone/data/corpus.jsonl`` and print its make-up."""
    rows = list(build(read_sources()))
    with open(OUTPUT, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    by_lang: dict[str, int] = {}
    by_split: dict[str, int] = {}
    for row in rows:
        by_lang[row["language"]] = by_lang.get(row["language"], 0) + 1
        by_split[row["split"]] = by_split.get(row["split"], 0) + 1
    print(f"{len(rows)} messages written to {OUTPUT}: {by_lang}, {by_split}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
