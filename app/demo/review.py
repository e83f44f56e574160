"""Demo of the tone committee: three past months of replies, two reviews closed, one open.

Two closed reviews give each demo agent two reports, so the trend page draws a line, not a
dot; the most recent month's review is left half scored, as on a committee's morning.

Called by ``seed_demo``. Idempotent: a month's replies are generated only when the demo
agents have none in that month (another part of the demo may have added history), and a
review is opened only when the month has none.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.extensions import db
from app.models import (
    Author,
    Brand,
    Channel,
    Direction,
    Message,
    Review,
    SendState,
    Thread,
    ThreadStatus,
    User,
    Visibility,
)
from app.review import services
from app.review.services import month_bounds
from tone.humour import may_carry_humour

# (language, category, customer's message, reply body, private?, customer came back?)
EXCHANGES: list[tuple[str, str, str, str, bool, bool]] = [
    ("fr", "delivery", "@MarketplaceCare mon colis est bloqué depuis 6 jours au relais...",
     "Bonjour Léa, je comprends l'attente. Le relais a signalé un retard, il arrive demain.",
     False, False),
    ("fr", "payment", "Toujours pas reçu mon virement après la vente, c'est normal ?",
     "Bonjour ! Le virement part 48 h après la confirmation de réception, on vérifie le "
     "vôtre en privé.", True, True),
    ("fr", "account", "Je n'arrive plus à me connecter, mot de passe refusé",
     "Pas de panique 😉 on réinitialise ensemble : le lien « mot de passe oublié » arrive "
     "en 2 minutes.", False, False),
    ("fr", "listing", "Encore une annonce refusée sans explication, ça devient pénible",
     "Haha, la modération a parfois la main lourde ! On relit votre annonce avec elle.",
     False, True),
    ("fr", "dispute", "Le vendeur ne répond plus et j'ai payé il y a 10 jours",
     "Bonjour Karim, on ouvre un litige pour vous et on bloque le paiement du vendeur.",
     True, False),
    ("fr", "technical", "L'appli plante quand j'ajoute une photo",
     "Merci du signalement ! Une mise à jour corrige ça ce soir, dites-nous si ça persiste.",
     False, False),
    ("fr", "praise", "Super service, colis arrivé en 24h bravo",
     "Merci beaucoup, ça fait plaisir ! Toute l'équipe vous salue.", False, False),
    ("fr", "delivery", "Colis marqué livré mais je n'ai rien reçu !!",
     "Bonjour, c'est rageant, on comprend. On lance l'enquête transporteur en privé.",
     True, True),
    ("fr", "other", "Vous êtes ouverts le dimanche ?",
     "Mdr non, même les community managers dorment le dimanche… Retour lundi 9 h !",
     False, False),
    ("fr", "payment", "Pourquoi des frais de protection sur mon achat ?",
     "Bonjour, ces frais couvrent le remboursement si l'article n'arrive pas. Détails ici.",
     False, False),
    ("fr", "fraud", "On me demande de payer hors plateforme, arnaque ?",
     "Oui, c'est une arnaque : ne payez jamais hors plateforme. On bloque ce compte.",
     False, True),
    ("fr", "account", "Mon compte a été suspendu sans raison",
     "Bonjour, on regarde votre compte avec l'équipe sécurité et on revient vers vous.",
     True, False),
    ("en", "delivery", "@MarketplaceCare my parcel has been stuck for a week",
     "Hi Sam, sorry for the wait. The carrier reports a delay; it should arrive Thursday.",
     False, False),
    ("en", "payment", "Still no payout after my sale, what's going on?",
     "Hi! Payouts leave 48 hours after the buyer confirms. Let's check yours in DM.",
     True, True),
    ("en", "account", "Locked out of my account again",
     "Oh no, not again :) Let's reset it together: the link arrives within 2 minutes.",
     False, False),
    ("en", "listing", "My listing was removed, no reason given",
     "LOL our moderation bot is a bit overzealous today. We're reviewing it with them.",
     False, True),
    ("en", "dispute", "Seller vanished after I paid",
     "Hi Jordan, we've opened a dispute and frozen the seller's payout.", True, False),
    ("en", "technical", "App crashes on photo upload",
     "Thanks for flagging this! A fix ships tonight, tell us if it keeps happening.",
     False, False),
    ("en", "praise", "Great service, parcel in 24h!",
     "Thank you, that made our day! The whole team says hi.", False, False),
    ("en", "delivery", "Tracking says delivered but nothing here",
     "Hi, that's frustrating. We're opening a carrier investigation in DM.", True, True),
    ("en", "other", "Are you open on Sundays?",
     "Haha, even community managers sleep on Sundays... Back Monday 9am!", False, False),
    ("en", "fraud", "Someone asks me to pay outside the site, scam?",
     "Yes, that's a scam: never pay outside the platform. We're blocking that account.",
     False, True),
]

ACK = {"fr": "Nous vous avons envoyé un message privé.",
       "en": "We've sent you a direct message."}


def _months(now: datetime, timezone: str) -> tuple[str, str, str]:
    """The three months before the current one, oldest first."""
    months = [services.previous_month(now, timezone)]
    for _ in range(2):
        start, _end = month_bounds(months[0], timezone)
        months.insert(0, services.previous_month(start + timedelta(hours=1), timezone))
    return months[0], months[1], months[2]


def _has_replies(brand: Brand, month: str, agent_ids: list[int]) -> bool:
    start, end = month_bounds(month, brand.timezone)
    return db.session.scalar(
        db.select(Message.id).join(Channel, Channel.id == Message.channel_id)
        .where(Channel.brand_id == brand.id, Message.agent_id.in_(agent_ids),
               Message.direction == Direction.OUTBOUND.value,
               Message.sent_at >= start, Message.sent_at < end).limit(1)) is not None


def _author(network: str, handle: str) -> Author:
    found: Author | None = db.session.scalar(db.select(Author).filter_by(network=network,
                                                          platform_id=f"demo-hist-{handle}"))
    if found is None:
        found = Author(network=network, platform_id=f"demo-hist-{handle}", handle=handle,
                       display_name=handle.replace("_", " ").title(), segment="private")
        db.session.add(found)
        db.session.flush()
    return found


def _generate(brand: Brand, month: str, channels: dict[str, Channel],
              agents: list[tuple[User, str]]) -> int:
    """Threads of the month: each agent answers the exchanges of their language."""
    start, _end = month_bounds(month, brand.timezone)
    local = start.astimezone(ZoneInfo(brand.timezone))
    created = 0
    for agent, language in agents:
        signature = agent.display_signature
        mine = [e for e in EXCHANGES if e[0] == language]
        for n, (lang, category, ask, body, private, came_back) in enumerate(mine):
            key = f"{month}-{agent.id}-{n}"
            network = "x" if n % 3 else "facebook"
            channel = channels[network]
            day = 1 + (n * 2 + agent.id) % 26
            at = local.replace(day=day, hour=9 + n % 8, minute=(7 * n) % 60)
            at = at.astimezone(start.tzinfo)
            author = _author(network, f"client_{lang}_{n}")
            thread = Thread(channel_id=channel.id, author_id=author.id,
                            origin_platform_id=f"demo-hist-{key}", subject=ask[:120],
                            status=ThreadStatus.RESOLVED.value, category=category,
                            language=lang, created_at=at, last_message_at=at,
                            first_response_at=at + timedelta(minutes=14),
                            resolved_at=at + timedelta(hours=3),
                            visibility=Visibility.PRIVATE.value if private
                            else Visibility.PUBLIC.value)
            db.session.add(thread)
            db.session.flush()
            rows: list[dict[str, Any]] = [
                {"direction": Direction.INBOUND.value, "kind": "mention", "text": ask,
                 "author_id": author.id, "at": at, "visibility": Visibility.PUBLIC.value}]
            reply_at = at + timedelta(minutes=14)
            if private:
                rows.append({"direction": Direction.OUTBOUND.value, "kind": "reply",
                             "text": f"{ACK[lang]} {signature}", "agent_id": agent.id,
                             "at": reply_at, "visibility": Visibility.PUBLIC.value,
                             "ack": True})
                reply_at += timedelta(minutes=1)
            rows.append({"direction": Direction.OUTBOUND.value, "kind": "reply",
                         "text": f"{body} {signature}", "agent_id": agent.id, "at": reply_at,
                         "visibility": Visibility.PRIVATE.value if private
                         else Visibility.PUBLIC.value})
            if came_back:
                rows.append({"direction": Direction.INBOUND.value, "kind": "reply",
                             "text": "Merci pour la réponse rapide !" if lang == "fr"
                             else "Thanks for the quick answer!", "author_id": author.id,
                             "at": reply_at + timedelta(minutes=30),
                             "visibility": rows[-1]["visibility"]})
            for position, row in enumerate(rows):
                outbound = row["direction"] == Direction.OUTBOUND.value
                db.session.add(Message(
                    thread_id=thread.id, channel_id=channel.id,
                    platform_id=f"demo-hist-{key}-{position}", direction=row["direction"],
                    kind=row["kind"], visibility=row["visibility"], text=row["text"],
                    author_id=row.get("author_id"), agent_id=row.get("agent_id"),
                    platform_created_at=row["at"], received_at=row["at"],
                    language=lang, category=category if not outbound else None,
                    send_state=SendState.SENT.value if outbound else None,
                    sent_at=row["at"] if outbound else None,
                    is_acknowledgement=bool(row.get("ack"))))
            thread.last_message_at = rows[-1]["at"]
            created += 1
    db.session.flush()
    return created


def _demo_scores(review: Review, text: str) -> dict[str, object]:
    """Plausible, stable scores of a demo reply (as a supervisor might give them)."""
    # The month is part of the seed: the same demo reply scores differently from one
    # month to the next, so the trend moves as a real one would.
    digest = hashlib.sha256(f"{review.month} {text}".encode()).digest()
    values: dict[str, object] = {}
    for criterion in review.rubric.criteria:
        key, points = criterion["key"], int(criterion["points"])
        lowest = 0 if points == 2 else 1
        highest = lowest + points - 1
        if criterion.get("critical"):
            values[key] = highest
        elif criterion.get("na_allowed") and not may_carry_humour(text):
            values[key] = None
        else:
            values[key] = max(lowest, highest - digest[len(values)] % 2)
    return values


def seed_review_demo(brand: Brand, channels: dict[str, Channel], users: dict[str, User],
                     now: datetime) -> int:
    """Past months' replies, two closed reviews and an open one; returns threads created."""
    db.session.flush()
    agents = [(users["agent"], "fr"), (users["agent2"], "en")]
    supervisor = users["supervisor"]
    *closed, previous = _months(now, brand.timezone)
    created = 0
    for month in (*closed, previous):
        if not _has_replies(brand, month, [a.id for a, _lang in agents]):
            created += _generate(brand, month, channels, agents)
    db.session.commit()
    exists = {m for m, in db.session.execute(
        db.select(Review.month).filter_by(brand_id=brand.id))}
    for older in closed:
        if older in exists:
            continue
        review = services.open_review(brand.id, older, seed=f"demo-{older}", now=now)
        for n, item in enumerate(review.items):
            services.score_item(
                supervisor, item, _demo_scores(review, item.message.text),
                comment=("Ton juste, réponse utile." if item.language == "fr"
                         else "Right tone, useful answer.") if n % 3 == 0 else None,
                worth_sharing=n in (1, 6))
        reports = services.close_review(supervisor, review)
        read = next((r for r in reports if r.agent_id == users["agent2"].id), None)
        if read is not None:  # one agent has read their report, the other not yet
            services.acknowledge(users["agent2"], read)
    if previous not in exists:
        review = services.open_review(brand.id, previous, seed=f"demo-{previous}", now=now)
        # Started, not finished: the first replies scored, one marked for calibration.
        for item in review.items[:3]:
            services.score_item(supervisor, item, _demo_scores(review, item.message.text))
        if review.items:
            services.set_calibration(supervisor, review.items[0], True)
    return created
