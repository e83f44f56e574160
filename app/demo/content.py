"""Demo conversations in the voice of the seeds (French marketplace, telecom care teams).

Each conversation: network, author (handle, name, followers, segment), minutes ago of the
first message, and the messages as (who, text, minutes after the first). ``who`` is
"customer" or an agent key of DEMO_USERS.
"""

from __future__ import annotations

from typing import Any

# No saved language: each demo user sees the browser's language until they pick one (README).
DEMO_USERS: dict[str, dict[str, str]] = {
    "agent": {"email": "marie@demo.care", "name": "Marie Lefèvre", "role": "agent",
              "signature": "^Marie", "locale": ""},
    "agent2": {"email": "tom@demo.care", "name": "Tom Bernard", "role": "agent",
               "signature": "^Tom", "locale": ""},
    "supervisor": {"email": "sophie@demo.care", "name": "Sophie Martin", "role": "supervisor",
                   "signature": "^Sophie", "locale": ""},
    "brand": {"email": "brand@demo.care", "name": "Julien Brand", "role": "brand",
              "signature": "", "locale": ""},
    "admin": {"email": "admin@demo.care", "name": "Alex Admin", "role": "admin",
              "signature": "^Alex", "locale": ""},
}

CONVERSATIONS: list[dict[str, Any]] = [
    {
        "network": "x", "minutes_ago": 38, "category": "delivery", "language": "fr",
        "author": ("julie_mtp", "Julie M.", 412, "private"),
        "messages": [
            ("customer", "@MarketplaceCare ça fait 12 jours que j'attends mon colis Mondial "
             "Relay, le vendeur ne répond plus et le suivi n'a pas bougé depuis lundi. "
             "Je fais comment ?? 😤", 0),
        ],
    },
    {
        "network": "x", "minutes_ago": 12, "category": "account", "language": "fr",
        "urgency": ["hacked_account"], "author": ("nico_vintage", "Nicolas", 1893, "professional"),
        "messages": [
            ("customer", "@MarketplaceCare URGENT mon compte pro a été piraté, quelqu'un a "
             "changé mon mot de passe et publie des annonces à ma place !!! Je ne peux plus "
             "me connecter", 0),
        ],
    },
    {
        "network": "x", "minutes_ago": 95, "category": "fraud", "language": "fr",
        "urgency": ["scam"], "author": ("claire_b75", "Claire B.", 230, "private"),
        "messages": [
            ("customer", "@MarketplaceCare un acheteur me demande de cliquer sur un lien pour "
             "\"recevoir le paiement sécurisé\", c'est une arnaque ? Le lien ressemble pas du "
             "tout à votre site", 0),
            ("agent", "@claire_b75 Bonjour Claire, oui c'est une tentative d'hameçonnage : ne "
             "cliquez pas et ne donnez aucune coordonnée bancaire. Signalez le profil depuis "
             "la messagerie. ^Marie", 9),
            ("customer", "@MarketplaceCare merci pour la réponse rapide 🙏", 14),
        ],
    },
    {
        "network": "facebook", "minutes_ago": 240, "category": "payment", "language": "fr",
        "urgency": ["money_blocked"], "author": ("Karim Benali", "Karim Benali", 0, "private"),
        "messages": [
            ("customer", "Remboursement refusé \"conformément aux conditions de vente\" alors "
             "que l'article reçu ne correspond pas du tout à l'annonce. 85 € bloqués depuis "
             "10 jours. Je vais saisir la DGCCRF si rien ne bouge.", 0),
        ],
    },
    {
        "network": "x", "minutes_ago": 300, "category": "listing", "language": "fr",
        "author": ("atelier_lou", "L'atelier de Lou", 5120, "professional"),
        "messages": [
            ("customer", "@MarketplaceCare encore une annonce refusée par la modération sans "
             "explication... 3e fois cette semaine. C'est des bijoux faits main, rien "
             "d'interdit !", 0),
            ("agent2", "@atelier_lou Hello, désolé pour ce souci. Pouvez-vous nous écrire en "
             "message privé avec le titre de l'annonce ? On regarde avec la modération. ^Tom",
             22),
        ],
    },
    {
        "network": "x", "minutes_ago": 20, "category": "delivery", "language": "en",
        "author": ("samhiggins", "Sam Higgins", 88, "private"),
        "messages": [
            ("customer", "@MarketplaceCare my parcel was marked delivered yesterday but there "
             "is nothing here. Seller says it's not his problem. What now?", 0),
        ],
    },
    {
        "network": "x", "minutes_ago": 65, "category": "account", "language": "en",
        "urgency": ["hacked_account"], "author": ("dana_r", "Dana R.", 15400, "private"),
        "messages": [
            ("customer", "@MarketplaceCare someone logged into my account from another "
             "country and changed my email. I can't get in anymore. Please help ASAP", 0),
        ],
    },
    {
        "network": "facebook", "minutes_ago": 180, "category": "praise", "language": "fr",
        "author": ("Émilie Roux", "Émilie Roux", 0, "private"),
        "messages": [
            ("customer", "Bravo à votre équipe, litige réglé en 48h et remboursée sans "
             "discuter. Franchement je ne m'y attendais pas ! 👏", 0),
            ("agent", "Merci beaucoup Émilie, ravis que tout soit rentré dans l'ordre ! "
             "Belle journée ^Marie", 30),
        ],
    },
    {
        "network": "x", "minutes_ago": 8, "category": "technical", "language": "fr",
        "author": ("pierre_dlv", "Pierre", 57, "private"),
        "messages": [
            ("customer", "@MarketplaceCare l'appli plante à chaque fois que j'essaie "
             "d'ajouter une photo à mon annonce (Android 14). Vous avez un pb en ce moment ?", 0),
        ],
    },
    {
        "network": "facebook", "minutes_ago": 50, "category": "dispute", "language": "en",
        "author": ("Mark Thompson", "Mark Thompson", 0, "private"),
        "messages": [
            ("customer", "Opened a dispute a week ago, the seller sent an empty box. Nobody "
             "answers my messages. Is there anyone at all working there?", 0),
        ],
    },
    {
        "network": "x", "minutes_ago": 140, "category": "fraud", "language": "fr",
        "urgency": ["scam", "abuse"], "author": ("gros_malin_93", "Kev", 12, "private"),
        "messages": [
            ("customer", "@MarketplaceCare bande d'incapables, je me suis fait arnaquer de "
             "300€ sur votre site de merde et personne répond", 0),
        ],
    },
    {
        "network": "x", "minutes_ago": 1500, "category": "payment", "language": "en",
        "author": ("lucy_makes", "Lucy Makes", 2300, "professional"),
        "messages": [
            ("customer", "@MarketplaceCare payout for my last 4 sales still pending after 5 "
             "days. Is secure payment down?", 0),
            ("agent2", "@lucy_makes Hi Lucy, payouts were delayed by a bank incident "
             "yesterday, they are being processed today. Sorry for the wait! ^Tom", 45),
            ("customer", "@MarketplaceCare received, thanks!", 300),
        ],
        "status": "resolved",
    },
]

#: Canned replies of the demo: (language, title, body); placeholders are filled per thread.
# (language, title, body); the triage category each answers is in CANNED_CATEGORIES.
CANNED: list[tuple[str, str, str]] = [
    ("fr", "Colis en retard",
     "Bonjour {first_name}, désolés pour ce retard. Nous contactons le vendeur et "
     "revenons vers vous très vite. Votre numéro de suivi chez nous : {ticket}"),
    ("fr", "Compte piraté — passer en privé",
     "Bonjour {first_name}, nous sécurisons votre compte tout de suite. Ne partagez aucun "
     "code ici : nous vous écrivons en message privé."),
    ("fr", "Hameçonnage",
     "Bonjour {first_name}, c'est une tentative d'arnaque : ne cliquez pas sur le lien et "
     "ne donnez aucune coordonnée bancaire. Le paiement se fait toujours sur notre site."),
    ("fr", "Remerciement",
     "Merci beaucoup {first_name}, ravis que tout soit réglé ! Belle journée."),
    ("en", "Late parcel",
     "Hi {first_name}, sorry for the delay. We are contacting the seller and will get back "
     "to you shortly. Your reference with us: {ticket}"),
    ("en", "Hacked account — move to private",
     "Hi {first_name}, we are securing your account right now. Please do not share any code "
     "here: we are writing to you in a private message."),
    ("en", "Phishing",
     "Hi {first_name}, this is a scam attempt: do not click the link and never share your "
     "bank details. Payment always happens on our site."),
]

CANNED_CATEGORIES: dict[str, str] = {
    "Colis en retard": "delivery",
    "Compte piraté — passer en privé": "account",
    "Hameçonnage": "fraud",
    "Remerciement": "praise",
    "Late parcel": "delivery",
    "Hacked account — move to private": "account",
    "Phishing": "fraud",
}
