"""Ninety days of demo history, so that the brand team's dashboard opens on real figures.

Threads, inbound messages (scored by the real triage, once per text), agent replies timed
against the brand's real business hours (a mention on Saturday night is answered on Monday
morning), moves to private with the public loop sometimes closed, resolutions, a few threads
closed as spam or abusive, and surveys (sent, some answered). The rows are ordinary rows: the
dashboard's rollups are then built from them by the same code as the job. Idempotent: a
brand that already has history gets none.

Platform ids start with ``hist-``: these posts exist on no platform (nor in the sandbox), and
are all settled, so nothing will ever reply to them.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.dashboard import upkeep
from app.dashboard.metrics import SURVEY_KIND, local_day
from app.extensions import db
from app.models import (
    Author,
    Brand,
    BrandReportSettings,
    Channel,
    Direction,
    Message,
    SendState,
    Survey,
    SurveyState,
    Thread,
    ThreadStatus,
    User,
    Visibility,
)
from app.sla.calendar import BusinessCalendar, NoOpenHoursError
from app.sla.policy import policy_for
from app.threads import apply_due_times
from app.triage import analyse

DAYS = 90
SEED = 19

#: (language, text) of the customers' first messages; the triage labels them.
OPENERS: tuple[tuple[str, str], ...] = (
    ("fr", "@{h} mon colis n'est toujours pas arrivé, le suivi ne bouge plus depuis 5 jours"),
    ("fr", "@{h} le vendeur ne répond plus et j'ai payé il y a 10 jours, je fais comment ?"),
    ("fr", "@{h} impossible de me connecter à mon compte depuis ce matin"),
    ("fr", "@{h} mon compte a été piraté, quelqu'un publie des annonces à ma place !!!"),
    ("fr", "@{h} mon argent est bloqué depuis deux semaines, c'est inadmissible"),
    ("fr", "@{h} comment je modifie le prix de mon annonce ?"),
    ("fr", "@{h} merci pour votre aide hier, colis reçu, super service"),
    ("fr", "@{h} l'appli plante à chaque fois que j'ajoute une photo"),
    ("fr", "@{h} j'ai reçu un article qui ne correspond pas du tout à la description"),
    ("fr", "@{h} un acheteur me demande de payer hors plateforme, c'est une arnaque ?"),
    ("fr", "@{h} toujours pas de remboursement, je vais porter plainte"),
    ("fr", "@{h} bonjour, quels sont les délais de livraison en point relais ?"),
    ("en", "@{h} my parcel still hasn't arrived and tracking hasn't moved in a week"),
    ("en", "@{h} the seller stopped answering and I paid ten days ago, what can I do?"),
    ("en", "@{h} I can't log in to my account since this morning"),
    ("en", "@{h} my account was hacked, someone changed my password!!!"),
    ("en", "@{h} my money has been blocked for two weeks, this is unacceptable"),
    ("en", "@{h} how do I change the price of my listing?"),
    ("en", "@{h} thanks for the help yesterday, parcel received, great service"),
    ("en", "@{h} the app crashes every time I upload a photo"),
    ("en", "@{h} the item I received is nothing like the description"),
    ("en", "@{h} a buyer asks me to pay outside the platform, is it a scam?"),
)
FOLLOW_UPS = {"fr": "Merci, j'attends votre retour.", "en": "Thanks, waiting for your answer."}
REPLIES = {
    "fr": ("Bonjour, nous regardons cela tout de suite. {s}",
           "Bonjour, désolés pour ce souci : pouvez-vous nous en dire plus ? {s}"),
    "en": ("Hello, we're looking into it right now. {s}",
           "Hi, sorry about this: can you tell us more? {s}"),
}
PRIVATE_ACK = {"fr": "Nous vous avons envoyé un message privé.",
               "en": "We have sent you a private message."}
DM = {"fr": "Bonjour, pouvez-vous nous donner votre numéro de commande ici ?",
      "en": "Hello, could you give us your order number here?"}
LOOP_CLOSED = {"fr": "Tout est réglé en privé, merci de votre patience ! {s}",
               "en": "All sorted in private, thanks for your patience! {s}"}
COMMENTS = {
    "fr": ("Réponse rapide et efficace, merci !", "On m'a bien écouté mais rien n'est réglé.",
           "Trop long, j'ai dû relancer trois fois.",
           "Merci Marie, commande 12345678 bien remboursée."),
    "en": ("Quick and helpful, thanks!", "They listened but nothing is solved.",
           "Far too slow, I had to chase them three times.",
           "Thanks Tom, call me back on 06 12 34 56 78 if needed."),
}


@dataclass(frozen=True)
class _Opener:
    language: str
    text: str
    polarity: float
    category: str
    urgency: tuple[str, ...]


def _openers(handle_by_network: dict[str, str]) -> list[_Opener]:
    out = []
    for language, text in OPENERS:
        analysis = analyse(text.format(h="Brand"))
        out.append(_Opener(language, text, analysis.polarity, analysis.category,
                           analysis.urgency_names))
    return out


def _lognormal(rng: random.Random, median_minutes: float, sigma: float) -> timedelta:
    return timedelta(minutes=median_minutes * math.exp(rng.gauss(0, sigma)))


def _reply_time(rng: random.Random, calendar: BusinessCalendar, at: datetime) -> datetime:
    # Agents work the brand's hours: outside them the answer comes after the next opening.
    try:
        start = at if calendar.is_open(at) else calendar.next_open(at)
    except NoOpenHoursError:
        start = at
    return start + _lognormal(rng, 18, 0.9)


def has_history(brand: Brand) -> bool:
    """Whether the brand already has demo history."""
    return db.session.scalar(
        select(Thread.id).join(Channel, Channel.id == Thread.channel_id)
        .where(Channel.brand_id == brand.id, Thread.origin_platform_id.like("hist-%"))
        .limit(1)) is not None


def seed_history(brand: Brand, channels: list[Channel], agents: list[User],
                 now: datetime, days: int = DAYS, seed: int = SEED) -> int:
    """Add ``days`` of settled history to the brand (flush only; the caller commits).

    Also switches the brand's surveys and public page on (when never set) and builds the
    dashboard's rollups of everything. Returns the number of threads created.
    """
    if not channels or not agents:
        return 0
    if db.session.get(BrandReportSettings, brand.id) is None:
        db.session.add(BrandReportSettings(
            brand_id=brand.id, surveys_enabled=True, survey_fallback="skip",
            survey_cooldown_days=30, survey_valid_days=14, public_page=True,
            public_min_threads=20))
    if has_history(brand):
        db.session.flush()
        return 0
    rng = random.Random(seed)
    zone = ZoneInfo(brand.timezone or "UTC")
    calendars = policy_for(brand)[0]
    openers = _openers({c.network: c.handle or brand.name for c in channels})
    authors: list[Author] = []
    for n in range(260):
        channel = channels[n % len(channels)]
        author = Author(network=channel.network, platform_id=f"hist-{brand.id}-{n}",
                        handle=f"client{n:03d}", display_name=f"Client {n}",
                        followers=int(rng.paretovariate(1.2) * 40),
                        segment="professional" if rng.random() < 0.2 else "private")
        authors.append(author)
        db.session.add(author)
    db.session.flush()
    by_network: dict[str, list[Author]] = {}
    for author in authors:
        by_network.setdefault(author.network, []).append(author)
    last_survey: dict[int, datetime] = {}
    created = 0
    serial = 0
    start_day = local_day(now, zone) - timedelta(days=days)
    for offset in range(days + 1):
        day = start_day + timedelta(days=offset)
        weekend = day.weekday() >= 5
        count = rng.randint(14, 22) if weekend else rng.randint(26, 44)
        for _ in range(count):
            hour = min(23.99, max(0.0, rng.gauss(14, 4.5)))
            opened = datetime(day.year, day.month, day.day, tzinfo=zone) \
                + timedelta(hours=hour)
            opened = opened.astimezone(now.tzinfo)
            if opened > now - timedelta(minutes=30):
                continue
            serial += 1
            channel = channels[0] if rng.random() < 0.6 or len(channels) == 1 else channels[1]
            author = rng.choice(by_network.get(channel.network) or authors)
            opener = rng.choice(openers)
            _one_thread(rng, brand, channel, author, opener, opened, now, agents,
                        calendars.get(author.segment) or next(iter(calendars.values())),
                        serial, last_survey, zone)
            created += 1
    db.session.flush()
    upkeep.rebuild_rows(brand.id, now)
    return created


def _one_thread(rng: random.Random, brand: Brand, channel: Channel, author: Author,
                opener: _Opener, opened: datetime, now: datetime, agents: list[User],
                calendar: BusinessCalendar, serial: int, last_survey: dict[int, datetime],
                zone: ZoneInfo) -> None:
    lang = opener.language
    text = opener.text.format(h=channel.handle or brand.name)
    thread = Thread(
        channel=channel, author=author, origin_platform_id=f"hist-{serial}", subject=text[:120],
        status=ThreadStatus.NEW.value, visibility=Visibility.PUBLIC.value,
        category=opener.category, language=lang, sentiment=opener.polarity,
        urgency=list(opener.urgency), created_at=opened, last_message_at=opened)
    thread.priority = 40.0 + 20 * len(opener.urgency) + (10 if author.segment ==
                                                         "professional" else 0)
    apply_due_times(thread, brand, author.segment, opened)
    db.session.add(thread)

    def message(**fields: object) -> Message:
        row = Message(thread=thread, channel_id=channel.id, **fields)
        db.session.add(row)
        return row

    message(platform_id=f"hist-{serial}-0", direction=Direction.INBOUND.value,
            kind="mention" if channel.network == "x" else "comment",
            visibility=Visibility.PUBLIC.value, text=text, author_id=author.id,
            platform_created_at=opened, received_at=opened, language=lang,
            polarity=opener.polarity, category=opener.category,
            urgency=[{"name": u} for u in opener.urgency])
    roll = rng.random()
    if roll < 0.025:  # spam or insults: closed, unanswered
        thread.status = ThreadStatus.CLOSED.value
        thread.close_reason = "spam" if roll < 0.015 else "abusive"
        thread.resolved_at = opened + timedelta(minutes=rng.randint(5, 120))
        return
    if roll < 0.07:  # never answered: closed without a word
        thread.status = ThreadStatus.CLOSED.value
        thread.resolved_at = min(opened + timedelta(days=1), now - timedelta(minutes=1))
        return
    agent = rng.choice(agents)
    signature = agent.display_signature or ""
    reply_at = _reply_time(rng, calendar, opened)
    if reply_at >= now - timedelta(minutes=5):
        # History is settled (nothing of it waits in the live inbox): the on-call agent
        # answered this one outside business hours.
        reply_at = opened + (now - timedelta(minutes=5) - opened) * rng.uniform(0.2, 0.6)
    moved = rng.random() < 0.14
    n = 1
    if moved:
        message(platform_id=f"hist-{serial}-{n}", direction=Direction.OUTBOUND.value,
                kind="dm", visibility=Visibility.PRIVATE.value, text=DM[lang],
                agent_id=agent.id, platform_created_at=reply_at, received_at=reply_at,
                send_state=SendState.SENT.value, sent_at=reply_at)
        n += 1
        message(platform_id=f"hist-{serial}-{n}", direction=Direction.OUTBOUND.value,
                kind="reply", visibility=Visibility.PUBLIC.value, text=PRIVATE_ACK[lang],
                agent_id=agent.id, platform_created_at=reply_at, received_at=reply_at,
                send_state=SendState.SENT.value, sent_at=reply_at, is_acknowledgement=True)
        thread.visibility = Visibility.PRIVATE.value
    else:
        message(platform_id=f"hist-{serial}-{n}", direction=Direction.OUTBOUND.value,
                kind="reply", visibility=Visibility.PUBLIC.value,
                text=rng.choice(REPLIES[lang]).format(s=signature), agent_id=agent.id,
                platform_created_at=reply_at, received_at=reply_at,
                send_state=SendState.SENT.value, sent_at=reply_at)
    n += 1
    thread.first_response_at = reply_at
    thread.status = ThreadStatus.WAITING.value
    last = reply_at
    if rng.random() < 0.4:
        follow = reply_at + _lognormal(rng, 25, 0.7)
        if follow < now - timedelta(minutes=3):
            message(platform_id=f"hist-{serial}-{n}", direction=Direction.INBOUND.value,
                    kind="reply" if channel.network == "x" else "comment",
                    visibility=Visibility.PUBLIC.value, text=FOLLOW_UPS[lang],
                    author_id=author.id, platform_created_at=follow, received_at=follow,
                    language=lang, polarity=0.1, category="other")
            n += 1
            last = follow
    resolved = last + _lognormal(rng, 240, 1.0)
    if resolved >= now - timedelta(minutes=2):
        resolved = last + (now - timedelta(minutes=2) - last) * rng.uniform(0.3, 0.9)
    if moved and rng.random() < 0.6:
        closing = resolved - (resolved - last) / 10
        message(platform_id=f"hist-{serial}-{n}", direction=Direction.OUTBOUND.value,
                kind="reply", visibility=Visibility.PUBLIC.value,
                text=LOOP_CLOSED[lang].format(s=signature), agent_id=agent.id,
                platform_created_at=closing, received_at=closing,
                send_state=SendState.SENT.value, sent_at=closing)
        last = closing
    thread.status = ThreadStatus.RESOLVED.value
    thread.resolved_at = resolved
    thread.last_message_at = last
    _survey(rng, thread, brand, channel, author, lang, resolved, now, last_survey, zone,
            reply_at - thread.created_at)


def _survey(rng: random.Random, thread: Thread, brand: Brand, channel: Channel,
            author: Author, lang: str, resolved: datetime, now: datetime,
            last_survey: dict[int, datetime], zone: ZoneInfo, waited: timedelta) -> None:
    sent_at = min(resolved + timedelta(minutes=1), now - timedelta(seconds=30))
    previous = last_survey.get(author.id)
    recent = previous is not None and sent_at - previous < timedelta(days=30)
    survey = Survey(
        thread=thread, brand_id=brand.id, channel_id=channel.id, author_id=author.id,
        language=lang, day=local_day(sent_at, zone), created_at=sent_at,
        expires_at=sent_at + timedelta(days=14),
        state=SurveyState.SKIPPED.value if recent else SurveyState.SENT.value,
        route="recent_survey" if recent else "private_message")
    db.session.add(survey)
    if recent:
        return
    last_survey[author.id] = sent_at
    db.session.add(Message(
        thread=thread, channel_id=channel.id,
        platform_id=f"hist-survey-{thread.origin_platform_id}",
        direction=Direction.OUTBOUND.value, kind=SURVEY_KIND,
        visibility=Visibility.PRIVATE.value, text="(survey link)", platform_created_at=sent_at,
        received_at=sent_at, send_state=SendState.SENT.value, sent_at=sent_at))
    if rng.random() > 0.38:
        return
    answered = sent_at + _lognormal(rng, 90, 1.0)
    if answered >= now:
        return
    slow = waited > timedelta(hours=2)
    base = 3 if slow else 4

    def score(bias: int) -> int:
        return max(1, min(5, base + bias + rng.choice((-1, 0, 0, 1))))

    survey.answered_at = answered
    survey.speed = score(-1 if slow else 0)
    survey.listening = score(0)
    survey.resolution = score(0)
    if rng.random() < 0.3:
        comment = rng.choice(COMMENTS[lang])
        analysis = analyse(comment)
        survey.comment = comment
        survey.comment_polarity = analysis.polarity
        survey.comment_pii = [span.to_dict() for span in analysis.pii]
