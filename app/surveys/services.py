"""Survey use cases: send on resolution (a job), read a token, record one answer.

Invariants:

* one survey row per thread (unique ``thread_id``), stored and committed before the link is
  handed to the outbox, whose idempotency key is ``survey:<thread id>``: a retry, a second
  worker or a reopen-and-resolve never sends a second link;
* at most one survey per customer (author) within the brand's cooldown (30 days by default);
  a thread that falls inside it gets a ``skipped`` row, so it is not looked at again;
* one answer per survey: the answer is a conditional UPDATE on ``answered_at IS NULL``;
* a token is signed (itsdangerous, the app's secret), bound to the survey and its thread,
  and expires (the brand's validity, 14 days by default).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import exists, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from app.dashboard.metrics import SURVEY_KIND, local_day
from app.extensions import db
from app.models import (
    Brand,
    BrandReportSettings,
    Channel,
    Direction,
    Message,
    SendState,
    Survey,
    SurveyFallback,
    SurveyState,
    Thread,
    ThreadStatus,
    Visibility,
    utcnow,
)

log = logging.getLogger("care.surveys")

#: Threads resolved longer ago than this get no survey (the job is not a backfill).
SEND_WINDOW = timedelta(days=3)
#: Messenger's standard messaging window after the customer's last private message.
MESSENGER_WINDOW = timedelta(hours=24)
COMMENT_MAX = 1000
SALT = "care-survey-v1"

TEXTS = {
    "fr": "Votre demande est résolue. Dites-nous en 1 minute ce que vous avez pensé de notre "
          "réponse (rapidité, écoute, résolution) : {link}",
    "en": "Your request is resolved. Tell us in one minute what you thought of our answer "
          "(speed, listening, resolution): {link}",
}


class SurveyError(ValueError):
    """A refused token or answer; ``code`` picks the message, ``field`` where it shows."""

    def __init__(self, code: str, field: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field


# --- tokens ------------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(survey: Survey) -> str:
    """The signed token of a survey, bound to its thread."""
    token: str = _serializer().dumps({"s": survey.id, "t": survey.thread_id})
    return token


def survey_link(survey: Survey) -> str:
    """The public address of the survey page."""
    root = str(current_app.config["PUBLIC_URL"]).rstrip("/")
    return f"{root}/survey/{make_token(survey)}"


def survey_for_token(token: str, now: datetime | None = None) -> Survey:
    """The survey a token opens; raises ``SurveyError`` (forged, expired, other thread)."""
    if not token or len(token) > 300:
        raise SurveyError("forged")
    try:
        payload = _serializer().loads(token, max_age=400 * 86400)
    except SignatureExpired:
        raise SurveyError("expired") from None
    except BadSignature:
        raise SurveyError("forged") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int) \
            or not isinstance(payload.get("t"), int):
        raise SurveyError("forged")
    survey = db.session.get(Survey, payload["s"])
    if survey is None or survey.thread_id != payload["t"]:
        raise SurveyError("other_thread")
    if survey.state not in (SurveyState.SENT.value, SurveyState.PENDING.value):
        raise SurveyError("other_thread")
    if (now or utcnow()) > survey.expires_at:
        raise SurveyError("expired")
    return survey


# --- sending -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    """How the link goes out: ``visibility``, the comment to answer privately, a name."""

    name: str
    visibility: str
    parent_platform_id: str | None


def choose_route(thread: Thread, fallback: str, now: datetime) -> Route | None:
    """The private route open for this thread, else the public fallback or none."""
    channel = thread.channel
    if channel.network == "x":
        return Route("private_message", Visibility.PRIVATE.value, None)
    if channel.network == "facebook":
        from app.private.services import private_window

        last_private = db.session.scalar(
            select(Message.platform_created_at).where(
                Message.thread_id == thread.id, Message.direction == Direction.INBOUND.value,
                Message.visibility == Visibility.PRIVATE.value)
            .order_by(Message.platform_created_at.desc()).limit(1))
        if last_private is not None and now - last_private <= MESSENGER_WINDOW:
            return Route("private_message", Visibility.PRIVATE.value, None)
        window = private_window(thread)
        if window.available:
            comment = db.session.scalar(
                select(Message.platform_id).where(
                    Message.thread_id == thread.id, Message.direction == Direction.INBOUND.value,
                    Message.visibility == Visibility.PUBLIC.value,
                    Message.platform_id.is_not(None))
                .order_by(Message.platform_created_at.desc()).limit(1))
            if comment:
                return Route("private_reply", Visibility.PRIVATE.value, comment)
    if fallback == SurveyFallback.PUBLIC.value:
        target = db.session.scalar(
            select(Message.platform_id).where(
                Message.thread_id == thread.id, Message.direction == Direction.INBOUND.value,
                Message.visibility == Visibility.PUBLIC.value, Message.platform_id.is_not(None))
            .order_by(Message.platform_created_at.desc()).limit(1))
        if target:
            return Route("public_reply", Visibility.PUBLIC.value, target)
    return None


def _due_threads(brand_id: int, now: datetime, limit: int) -> list[Thread]:
    has_survey = exists().where(Survey.thread_id == Thread.id)
    return list(db.session.scalars(
        select(Thread).join(Channel, Channel.id == Thread.channel_id)
        .where(Channel.brand_id == brand_id, Thread.status == ThreadStatus.RESOLVED.value,
               Thread.close_reason.is_(None), Thread.resolved_at >= now - SEND_WINDOW,
               ~has_survey)
        .order_by(Thread.resolved_at).limit(limit)))


def _recently_surveyed(author_id: int, since: datetime) -> bool:
    return db.session.scalar(select(Survey.id).where(
        Survey.author_id == author_id, Survey.created_at >= since,
        Survey.state.in_((SurveyState.SENT.value, SurveyState.PENDING.value))).limit(1)) \
        is not None


def _new_survey(thread: Thread, settings: BrandReportSettings, brand: Brand,
                now: datetime, state: str, route: str | None) -> Survey | None:
    language = thread.language if thread.language in TEXTS else "en"
    survey = Survey(
        thread_id=thread.id, brand_id=brand.id, channel_id=thread.channel_id,
        author_id=thread.author_id, language=language, state=state, route=route,
        day=local_day(now, ZoneInfo(brand.timezone or "UTC")), created_at=now,
        expires_at=now + timedelta(days=settings.survey_valid_days))
    db.session.add(survey)
    try:
        db.session.commit()
    except IntegrityError:  # another worker stored this thread's survey first
        db.session.rollback()
        return None
    return survey


def send_one(thread: Thread, settings: BrandReportSettings, brand: Brand,
             now: datetime) -> Survey | None:
    """Store the thread's survey and hand its link to the outbox (commits)."""
    since = now - timedelta(days=settings.survey_cooldown_days)
    if _recently_surveyed(thread.author_id, since):
        return _new_survey(thread, settings, brand, now, SurveyState.SKIPPED.value,
                           "recent_survey")
    route = choose_route(thread, settings.survey_fallback, now)
    if route is None:
        return _new_survey(thread, settings, brand, now, SurveyState.SKIPPED.value,
                           "no_private_route")
    survey = _new_survey(thread, settings, brand, now, SurveyState.PENDING.value, route.name)
    if survey is None:
        return None
    from app.outbox import services as outbox

    text = TEXTS[survey.language].format(link=survey_link(survey))
    message = Message(
        thread_id=thread.id, channel_id=thread.channel_id,
        direction=Direction.OUTBOUND.value, kind=SURVEY_KIND, visibility=route.visibility,
        text=text, platform_created_at=now, received_at=now,
        send_state=SendState.PENDING.value, idempotency_key=f"survey:{thread.id}",
        parent_platform_id=route.parent_platform_id)
    db.session.add(message)
    db.session.flush()
    survey.message_id = message.id
    db.session.commit()
    message = outbox.deliver(message)
    _settle(survey, message)
    db.session.commit()
    return survey


def _settle(survey: Survey, message: Message) -> None:
    if message.send_state == SendState.SENT.value:
        survey.state = SurveyState.SENT.value
        survey.day = local_day(message.sent_at or utcnow(),
                               ZoneInfo(db.session.get(Brand, survey.brand_id).timezone  # type: ignore[union-attr]
                                        or "UTC"))
    elif message.send_state == SendState.FAILED.value:
        survey.state = SurveyState.FAILED.value
    # unknown: the outbox's reconcile job settles the message; the next run settles us.


def send_due(now: datetime | None = None, limit: int = 100) -> int:
    """Job: send the surveys of newly resolved threads of brands that enabled them."""
    now = now or utcnow()
    count = 0
    for pending in db.session.scalars(select(Survey).where(
            Survey.state == SurveyState.PENDING.value, Survey.message_id.is_not(None))).all():
        message = db.session.get(Message, pending.message_id)
        if message is not None:
            _settle(pending, message)
    db.session.commit()
    for settings in db.session.scalars(select(BrandReportSettings).where(
            BrandReportSettings.surveys_enabled.is_(True))).all():
        brand = db.session.get(Brand, settings.brand_id)
        if brand is None:
            continue
        for thread in _due_threads(brand.id, now, limit):
            try:
                if send_one(thread, settings, brand, now) is not None:
                    count += 1
            except Exception:  # one thread's failure must not stop the others
                log.exception("survey of thread %s failed", thread.id)
                db.session.rollback()
    return count


# --- answering ---------------------------------------------------------------------------

def _score(raw: Any, field: str) -> int:
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise SurveyError("missing_score", field)
    if not text.isdigit() or len(text) > 1 or not 1 <= int(text) <= 5:
        raise SurveyError("bad_score", field)
    return int(text)


def answer(survey: Survey, values: dict[str, Any], now: datetime | None = None) -> bool:
    """Record the answer (commits); False when the survey was already answered.

    Raises ``SurveyError`` for a score outside 1-5 or a comment over ``COMMENT_MAX``
    characters; nothing is stored then.
    """
    scores = {q: _score(values.get(q), q) for q in ("speed", "listening", "resolution")}
    comment = str(values.get("comment") or "").strip()
    if len(comment) > COMMENT_MAX:
        raise SurveyError("comment_too_long", "comment")
    polarity: float | None = None
    pii: list[dict[str, Any]] = []
    if comment:
        from app.triage import analyse

        brand = db.session.get(Brand, survey.brand_id)
        analysis = analyse(comment, brand.settings if brand else None)
        polarity = analysis.polarity
        pii = [span.to_dict() for span in analysis.pii]
    done = cast(CursorResult[Any], db.session.execute(
        update(Survey).where(Survey.id == survey.id, Survey.answered_at.is_(None))
        .values(answered_at=now or utcnow(), comment=comment or None,
                comment_polarity=polarity, comment_pii=pii, **scores)))
    db.session.commit()
    return bool(done.rowcount == 1)


def masked_comment(survey: Survey) -> str:
    """The comment with the personal data the triage found replaced by its kind."""
    text = survey.comment or ""
    for span in sorted(survey.comment_pii or [], key=lambda s: s["start"], reverse=True):
        text = text[:span["start"]] + "[" + str(span["kind"]) + "]" + text[span["end"]:]
    return text


def latest_comments(brand_id: int, start: datetime, end: datetime,
                    limit: int = 10) -> list[Survey]:
    """The latest answered surveys with a comment, newest first."""
    return list(db.session.scalars(
        select(Survey).where(Survey.brand_id == brand_id, Survey.answered_at >= start,
                             Survey.answered_at < end, Survey.comment.is_not(None))
        .order_by(Survey.answered_at.desc()).limit(limit)))
