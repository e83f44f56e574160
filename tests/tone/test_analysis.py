"""Language, sentiment, category and urgency on typical French and English mentions."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tone import CATEGORIES, Analysis, PiiSpan, UrgencyFlag


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("colis pas recu", "fr"),
        ("svp aidez moi", "fr"),
        ("mon compte est bloqué", "fr"),
        ("@SFR_SAV toujours pas de reseau depuis 3 jours", "fr"),
        ("my account got hacked pls help", "en"),
        ("WTF my parcel never arrived", "en"),
        ("where is my refund??", "en"),
        ("Hola, mi pedido no ha llegado", "other"),
        ("Mein Paket ist nicht angekommen", "other"),
        ("Il mio ordine non è mai arrivato", "other"),
        ("", "other"),
        ("😡😡😡", "other"),
        ("12/03 14h30", "other"),
    ],
)
def test_language_short_texts(analyzer, text, expected):
    assert analyzer.language(text) == expected


def test_sentiment_signs(analyzer):
    neg_fr, _ = analyzer.sentiment("Service client horrible, vraiment nul", "fr")
    pos_fr, _ = analyzer.sentiment("Merci beaucoup, équipe géniale et super efficace", "fr")
    neg_en, _ = analyzer.sentiment("Worst customer service ever, terrible", "en")
    pos_en, subj_en = analyzer.sentiment("Great support, thank you so much, amazing team")
    assert neg_fr < 0 < pos_fr
    assert neg_en < 0 < pos_en
    assert 0 < subj_en <= 1


def test_emoji_move_sentiment(analyzer):
    assert analyzer.sentiment("😡😡", "fr")[0] < 0
    assert analyzer.sentiment("❤️", "en")[0] > 0


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("@leboncoin impossible de me connecter, mot de passe refusé", "account"),
        ("mdp oublié et le mail de réinitialisation n'arrive pas", "account"),
        ("I'm locked out of my account after the update to my password", "account"),
        ("pourquoi mon annonce a été refusée par la modération ?", "listing"),
        ("my listing was removed for no reason", "listing"),
        ("toujours pas rembourse apres 2 semaines, virement jamais arrive", "payment"),
        ("charged twice for the same item, I want a refund", "payment"),
        ("j'ai ouvert un litige, objet non conforme à l'annonce", "dispute"),
        ("item not as described, seller won't answer my dispute", "dispute"),
        ("colis bloqué chez Mondial Relay depuis 10 jours", "delivery"),
        ("parcel still not delivered, tracking hasn't moved", "delivery"),
        ("l'appli plante dès que j'ouvre la messagerie", "technical"),
        ("the app keeps crashing with an error message", "technical"),
        ("attention arnaque, faux acheteur qui envoie un lien de paiement", "fraud"),
        ("scam alert: fake buyer asking for my bank details", "fraud"),
        ("Merci beaucoup pour votre réactivité, au top 👏", "praise"),
        ("Thank you so much, amazing support!", "praise"),
        ("vous recrutez en ce moment ?", "other"),
        ("", "other"),
    ],
)
def test_categories(analyzer, text, category):
    assert analyzer.analyse(text).category == category


def test_sarcastic_thanks_is_not_praise(analyzer):
    assert analyzer.analyse("Merci @laposte pour ce 3e colis perdu 👏👏").category == "delivery"


def test_merci_de_alone_is_not_praise(analyzer):
    assert analyzer.analyse("merci de me répondre").category == "other"


def test_accents_and_case_do_not_matter(analyzer):
    a = analyzer.analyse("MON COMPTE A ÉTÉ PIRATÉ")
    b = analyzer.analyse("mon compte a ete pirate")
    assert a.category == b.category == "account"
    assert a.urgency_names == b.urgency_names == ("hacked_account",)


@pytest.mark.parametrize(
    ("text", "flag", "trigger"),
    [
        ("on a piraté mon compte !!", "hacked_account", "pirate"),
        ("my account was hacked last night", "hacked_account", "hacked"),
        ("c'est une arnaque, faux acheteur", "scam", "arnaque"),
        ("this seller is a scammer", "scam", "scammer"),
        (
            "mon argent est toujours bloqué depuis 3 semaines",
            "money_blocked",
            "argent est toujours bloque",
        ),
        ("my payout has been on hold for a month", "money_blocked", "on hold"),
        ("je vais saisir l'UFC-Que Choisir", "public_threat", "ufc que choisir"),
        ("prochaine étape la DGCCRF et mon avocat", "public_threat", "dgccrf"),
        ("I'm going to the press with this", "public_threat", "press"),
        ("bande de nuls", "abuse", "bande de nuls"),
        ("you useless idiots", "abuse", "idiots"),
        ("l'acheteur m'a menacé de mort", "safety", "m a menace"),
        ("the buyer knows where I live and threatened me", "safety", "knows where i live"),
    ],
)
def test_urgency_triggers(analyzer, text, flag, trigger):
    flags = {f.name: f for f in analyzer.analyse(text).urgency}
    assert flag in flags
    assert trigger in flags[flag].triggers


def test_no_urgency_on_calm_question(analyzer):
    assert analyzer.analyse("Bonjour, comment modifier le prix de mon annonce ?").urgency == ()


def test_analysis_types_and_to_dict(analyzer):
    result = analyzer.analyse("@free mon compte piraté, appelez le 06 12 34 56 78")
    assert isinstance(result, Analysis)
    assert result.category in CATEGORIES
    assert all(isinstance(f, UrgencyFlag) for f in result.urgency)
    assert all(isinstance(p, PiiSpan) for p in result.pii)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["urgency"][0] == {"name": "hacked_account", "triggers": ["pirate"]}
    assert data["pii"] == [{"kind": "phone", "start": 36, "end": 50, "text": "06 12 34 56 78"}]
    with pytest.raises(AttributeError):
        result.category = "other"  # type: ignore[misc]


def test_thread_safety(analyzer):
    texts = [
        "mon compte a été piraté",
        "my parcel never arrived, tracking 6A12345678901",
        "arnaque faux acheteur 06 12 34 56 78",
        "Thank you so much!",
    ] * 50
    expected = [analyzer.analyse(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(analyzer.analyse, texts))
    assert got == expected
