"""Personal-data detection: positives with exact spans, and look-alikes that are not."""

from __future__ import annotations

import pytest

from tone.pii import iban_valid, luhn_valid

VALID_IBAN = "FR76 3000 6000 0112 3456 7890 189"
VALID_CARD = "4111 1111 1111 1111"


def spans(analyzer, text):
    return [(p.kind, p.text) for p in analyzer.detect_pii(text)]


@pytest.mark.parametrize(
    "phone",
    [
        "06 12 34 56 78",
        "0612345678",
        "06.12.34.56.78",
        "06-12-34-56-78",
        "+33 6 12 34 56 78",
        "+33612345678",
        "0033 6 12 34 56 78",
        "(+33) 7 81 22 33 44",
        "01 42 68 53 00",
        "+44 7911 123456",
        "+1 415 555 0132",
    ],
)
def test_phone_formats(analyzer, phone):
    text = f"@free rappelez-moi au {phone} svp"
    found = analyzer.detect_pii(text)
    assert [(p.kind, p.text) for p in found] == [("phone", phone)]
    assert text[found[0].start : found[0].end] == phone


@pytest.mark.parametrize(
    "text",
    [
        "payé 45,90 € le 12/03/2024 à 14h30",
        "prix passé de 1 299 € à 1 349 €",
        "livraison le 12.03.2024 entre 9:45 et 18h",
        "vu ici https://twitter.com/leboncoin/status/1780123456789012345 lol",
        "https://x.com/free/status/1812345678901234567",
        "j'ai 12 500 abonnés et 3,2k likes",
        "@user_0612345678 tu as vu ?",
        "rendez-vous 2024-03-12 10:00",
        "code postal 75011 et 3615 ulla",
        "mon annonce https://www.leboncoin.fr/ad/voitures/2456789012",
        "06 12 34",
    ],
)
def test_near_misses_are_not_pii(analyzer, text):
    assert analyzer.detect_pii(text) == []


def test_email_span(analyzer):
    text = "écrivez à jean.dupont+lbc@orange.fr merci"
    (span,) = analyzer.detect_pii(text)
    assert (span.kind, span.start, span.end) == ("email", 10, 35)
    assert span.text == "jean.dupont+lbc@orange.fr"


def test_handle_is_not_email(analyzer):
    assert analyzer.detect_pii("@leboncoin @SFR_SAV help") == []


def test_iban_valid_and_checksum_failure(analyzer):
    assert iban_valid(VALID_IBAN)
    assert iban_valid(VALID_IBAN.replace(" ", ""))
    assert not iban_valid(VALID_IBAN[:-1] + "8")
    assert spans(analyzer, f"mon RIB : {VALID_IBAN} merci") == [("iban", VALID_IBAN)]
    assert spans(analyzer, f"mon RIB : {VALID_IBAN[:-1]}8 merci") == []


def test_iban_followed_by_caps_word(analyzer):
    text = f"IBAN {VALID_IBAN} SVP"
    assert spans(analyzer, text) == [("iban", VALID_IBAN)]


def test_card_luhn(analyzer):
    assert luhn_valid(VALID_CARD)
    assert not luhn_valid("4111 1111 1111 1112")
    assert spans(analyzer, f"carte {VALID_CARD} débitée") == [("card", VALID_CARD)]
    assert spans(analyzer, "carte 4111-1111-1111-1111 débitée") == [("card", "4111-1111-1111-1111")]
    assert spans(analyzer, "carte 4111 1111 1111 1112 débitée") == []
    amex = "3782 822463 10005"
    assert spans(analyzer, f"amex {amex}") == [("card", amex)]


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("commande 123456789 jamais reçue", "123456789"),
        ("commande n°A12345678 annulée", "A12345678"),
        ("ma cmd 987654321 svp", "987654321"),
        ("order #A12345 is late", "A12345"),
        ("order number 113-2345678-1234567 charged twice", "113-2345678-1234567"),
    ],
)
def test_order_numbers(analyzer, text, ref):
    assert spans(analyzer, text) == [("order", ref)]


def test_order_word_without_reference(analyzer):
    assert analyzer.detect_pii("ma commande de 3 articles du 12/03") == []


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("suivi 6A12345678901 bloqué", "6A12345678901"),
        ("colis LA123456789FR perdu", "LA123456789FR"),
        ("UPS 1Z999AA10123456784 returned", "1Z999AA10123456784"),
        ("suivi Mondial Relay 12345678 ne bouge pas", "12345678"),
        ("il m'a donné 123456789012 pour Mondial Relay", "123456789012"),
    ],
)
def test_tracking_numbers(analyzer, text, ref):
    assert spans(analyzer, text) == [("tracking", ref)]


@pytest.mark.parametrize(
    "address",
    [
        "12 rue de la Paix, 75002 Paris",
        "5 avenue Jean Jaurès 69007 Lyon",
        "27 bis rue Nationale, 59000 Lille",
        "8 bd Voltaire",
        "3 impasse des Lilas 33000 Bordeaux",
        "12 rue de la paix 75002 paris",
    ],
)
def test_french_addresses(analyzer, address):
    text = f"livrez au {address}, merci"
    assert spans(analyzer, text) == [("address", address)]


@pytest.mark.parametrize(
    "text", ["j'ai 2 places de concert à vendre", "3 cours de yoga par semaine", "2 rues plus loin"]
)
def test_address_look_alikes(analyzer, text):
    assert analyzer.detect_pii(text) == []


def test_several_kinds_sorted_and_consistent(analyzer):
    text = (
        f"mail a.b@gmail.com tel 06 12 34 56 78 IBAN {VALID_IBAN} "
        "commande 123456789 suivi 6A12345678901"
    )
    found = analyzer.detect_pii(text)
    assert [p.kind for p in found] == ["email", "phone", "iban", "order", "tracking"]
    assert [p.start for p in found] == sorted(p.start for p in found)
    for p in found:
        assert text[p.start : p.end] == p.text


def test_pii_searched_beyond_analysis_window(analyzer):
    text = "blabla " * 3000 + "appelez le 06 12 34 56 78"
    found = analyzer.analyse(text).pii
    assert [(p.kind, p.text) for p in found] == [("phone", "06 12 34 56 78")]


@pytest.mark.parametrize(
    "phone",
    [
        "+33 (0)6 12 34 56 78",
        "06 1234 5678",
        "+33 612 345 678",
        "07700 900123",
        "+44 7700 900123",
        "0044 7911 123456",
        "+44 (0)20 7946 0958",
        "020 7946 0958",
        "(415) 555-2671",
        "415-555-2671",
        "415.555.2671",
        "1-415-555-2671",
        "+1 (415) 555-2671",
    ],
)
def test_phone_formats_of_three_countries(analyzer, phone):
    text = f"call me back on {phone} please"
    assert spans(analyzer, text) == [("phone", phone)]


@pytest.mark.parametrize(
    "address",
    [
        "221B Baker Street, London NW1 6XE",
        "10 Downing St, London SW1A 2AA",
        "45 Station Rd, Manchester M1 2AB",
        "1600 Pennsylvania Ave NW, Washington, DC 20500",
        "350 5th Ave, New York, NY 10118",
        "742 Evergreen Terrace, Springfield, OR 97403",
        "87 av. des Écoles 92100 Boulogne-Billancourt",
        "217 rue émile zola, 13008 Marseille",
        "15 rue Pasteur, Rennes",
    ],
)
def test_english_and_more_french_addresses(analyzer, address):
    assert spans(analyzer, f"deliver to {address} please") == [("address", address)]


@pytest.mark.parametrize(
    "text",
    ["I waited 3 days on the road", "2 more minutes down the road",
     "it took 45 minutes to drive 12 miles", "rendez-vous 2024-03-12 10:00 svp",
     "order of 3 items, 2 seats for the concert", "1234567890"],
)
def test_english_look_alikes(analyzer, text):
    assert analyzer.detect_pii(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A wrong trunk 0 after +44 is still a phone number, not a card number.
        ("ring me on +44 07911 123456 pls", ("phone", "+44 07911 123456")),
        # An American number typed without grouping, after a phone word.
        ("my cell is 4155550198", ("phone", "4155550198")),
        # Lower-case French names without a particle, and street-type abbreviations.
        ("j'habite 15 rue victor hugo depuis 3 ans", ("address", "15 rue victor hugo")),
        ("15 rue victor hugo, 75011 Paris", ("address", "15 rue victor hugo, 75011 Paris")),
        ("livrez au 12 bvd Haussmann svp", ("address", "12 bvd Haussmann")),
        ("12 r. de la Paix", ("address", "12 r. de la Paix")),
        ("on était 3 rue de la paix hier", ("address", "3 rue de la paix")),
        # A flat or unit after the street, a district before a UK postcode, more types.
        ("123 Main St Apt 4, Springfield, IL 62701",
         ("address", "123 Main St Apt 4, Springfield, IL 62701")),
        ("14 Kings Road Chelsea SW3 4UD", ("address", "14 Kings Road Chelsea SW3 4UD")),
        ("1 Infinite Loop, Cupertino, CA 95014",
         ("address", "1 Infinite Loop, Cupertino, CA 95014")),
    ],
)
def test_lenient_forms(analyzer, text, expected):
    assert spans(analyzer, text) == [expected]


@pytest.mark.parametrize(
    "text",
    ["order 4155550198 shipped", "il y a 3 rue et 2 places", "j'ai 2 cours demain",
     "ref 4155550198 please"],
)
def test_lenient_forms_keep_look_alikes_out(analyzer, text):
    assert [k for k, _ in spans(analyzer, text) if k in ("phone", "address")] == []
