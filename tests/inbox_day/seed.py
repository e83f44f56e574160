"""A realistic inbox for the day-in-the-inbox tests: French and English, X and Facebook."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from app.models import Channel, Thread, User, utcnow

MENTIONS: list[tuple[str, str, str, str, float, list[str], str | None]] = [
    # (network, handle / name, language, text, priority, urgency, category)
    ("x", "julie_mtp", "fr",
     "@MarketplaceCare mon compte a été piraté, quelqu'un a changé mon mot de passe !!",
     92, ["hacked_account"], "account"),
    ("facebook", "Karim Benali", "fr",
     "Remboursement refusé alors que le colis n'est jamais arrivé, je saisis la DGCCRF",
     81, ["public_threat"], "dispute"),
    ("x", "dana_r", "en",
     "@MarketplaceCare someone is selling fake tickets on your site, this is a scam",
     78, ["scam"], "fraud"),
    ("x", "lucas_b", "fr",
     "Mon argent est bloqué depuis 10 jours sur mon porte-monnaie, aucune réponse",
     74, ["money_blocked"], "payment"),
    ("facebook", "Émilie Roux", "fr",
     "Le vendeur ne répond plus et ma commande n'est toujours pas expédiée",
     66, [], "delivery"),
    ("x", "pro_vintage", "fr",
     "Nos annonces ont disparu de la recherche depuis ce matin, boutique pro",
     63, [], "listing"),
    ("x", "sam_k", "en",
     "My parcel never arrived, tracking stuck since Monday",
     58, [], "delivery"),
    ("facebook", "Nadia Haddad", "fr",
     "Impossible de me connecter depuis la mise à jour de l'application",
     55, [], "technical"),
    ("x", "marc_leroy", "fr",
     "Paiement débité deux fois pour la même commande, merci de regarder",
     54, [], "payment"),
    ("x", "olivia_w", "en",
     "Seller sent the wrong size and refuses the return, what can I do?",
     52, [], "dispute"),
    ("facebook", "Thomas Petit", "fr",
     "Comment modifier l'adresse de livraison d'une commande déjà passée ?",
     47, [], "delivery"),
    ("x", "chloe_dsn", "fr",
     "L'appli plante quand j'ajoute une photo à mon annonce",
     44, [], "technical"),
    ("x", "ben_t", "en", "How do I close my account and delete my data?", 41, [], "account"),
    ("facebook", "Sarah Lambert", "en",
     "Still waiting for my refund after the return was received",
     40, [], "payment"),
    ("x", "hugo_m", "fr",
     "Bonjour, combien de temps pour recevoir un remboursement ?",
     36, [], "payment"),
    ("x", "amelie_c", "fr",
     "Colis livré chez le voisin sans prévenir, pas très pro",
     33, [], "delivery"),
    ("facebook", "Paul Girard", "fr",
     "Question : les frais de port sont-ils remboursés en cas de retour ?",
     30, [], "other"),
    ("x", "grace_h", "en", "Can I change my username?", 27, [], "account"),
    ("x", "leo_p", "fr",
     "Merci au service client, problème réglé en 10 minutes !",
     18, [], "praise"),
    ("facebook", "Inès Moreau", "fr",
     "Super accueil au téléphone hier, merci Marie",
     15, [], "praise"),
    ("x", "ryan_c", "en", "Is there a way to filter listings by city?", 14, [], "listing"),
    ("x", "zoe_f", "fr", "Vous recrutez des vendeurs pro ?", 12, [], "other"),
]


def seed_inbox(make_channel: Callable[..., Channel], make_author: Callable[..., Any],
               make_thread: Callable[..., Thread], users: list[User]) -> list[Thread]:
    """Create the inbox above (ages from 2 minutes to 3 days, some assigned, SLA clocks)."""
    x = make_channel("x", name="@MarketplaceCare")
    fb = make_channel("facebook", name="Marketplace (Facebook)")
    now = utcnow()
    threads = []
    for n, (network, who, language, text, priority, urgency, category) in enumerate(MENTIONS):
        channel = x if network == "x" else fb
        if network == "x":
            author = make_author(network="x", handle=who, display_name=who.title(),
                                 segment="professional" if who.startswith("pro_") else "private")
        else:
            author = make_author(network="facebook", handle=f"fb{n:04d}", display_name=who)
        age = timedelta(minutes=2 + n * n * 9)
        due = now - age + timedelta(hours=1 + (n % 5))
        thread = make_thread(text, channel=channel, author=author, priority=priority,
                             language=language, urgency=urgency, category=category,
                             last_message_at=now - age,
                             status="open" if n % 4 == 1 else "new",
                             assignee=users[n % len(users)] if n % 4 == 1 else None,
                             first_response_due=due, sla_due=due)
        threads.append(thread)
    return threads
