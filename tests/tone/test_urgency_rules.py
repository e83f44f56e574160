"""The word lists back the classifier up on urgent situations phrased without the old
keywords, and keep everyday look-alikes out."""

from __future__ import annotations

import pytest

from tone.config import ToneConfig
from tone.lexicon import build_lexicon
from tone.rules import urgency_flags
from tone.text import clean, tokens

_INDEX = build_lexicon(ToneConfig()).index


def flags(text: str) -> set[str]:
    return {f.name for f in urgency_flags(_INDEX.find(tokens(clean(text))))}


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("my 400 € have been blocked for three weeks", "money_blocked"),
        ("withdrawal pending since the 2nd, release it", "money_blocked"),
        ("mon fric est coincé chez vous depuis 10 jours", "money_blocked"),
        ("PayPal a limité mon compte et garde 2 400 € pendant 180 jours", "money_blocked"),
        ("someone wants me to pay a release fee for a parcel I never ordered", "scam"),
        ("a so-called advisor asked me to move my savings to a safe account", "scam"),
        ("ya un gars qui m'a gratté 150 balles sur l'appli", "scam"),
        ("J'ai payé 350 € pour une console qui n'existe pas", "scam"),
        ("Orders I never made went through on my account", "hacked_account"),
        ("le mail de récupération a changé, on m'a pris mon compte", "hacked_account"),
        ("the charger cable melted and smells of burning plastic", "safety"),
        ("la crème m'a brûlé le visage, je suis couverte de cloques", "safety"),
        ("mon ex utilise votre appli pour me suivre", "safety"),
        ("stfu and fix it you donkeys", "abuse"),
    ],
)
def test_urgent_phrasings_raise_their_flag(text, flag):
    assert flag in flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "I ported my number to you last week, all good",
        "ce modèle existe pas en bleu ?",
        "how do I update my bank details?",
        "mon colis a disparu du suivi",
        "I recall ordering the blue one",
    ],
)
def test_everyday_look_alikes_raise_nothing(text):
    assert flags(text) == set()
