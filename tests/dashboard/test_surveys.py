"""Surveys end to end on the sandbox: sent once by the private route, answered once."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.dashboard import metrics, queries, upkeep
from app.extensions import db
from app.inbox import services as inbox
from app.models import BrandReportSettings, Channel, Message, Survey, Thread, User, utcnow
from app.outbox import services as outbox
from app.private import services as private
from app.surveys import services as surveys
from tests.jobs.sandbox_http import HttpSandbox
from tests.outbox.helpers import sandbox_thread

LINK = re.compile(r"https?://\S+/survey/(\S+)")


def _enable(thread: Thread, **fields: Any) -> BrandReportSettings:
    settings = BrandReportSettings(brand_id=thread.channel.brand_id, surveys_enabled=True,
                                   survey_fallback="skip", survey_cooldown_days=30,
                                   survey_valid_days=14, public_page=False,
                                   public_min_threads=20, **fields)
    db.session.add(settings)
    db.session.commit()
    return settings


def _answer_and_resolve(thread: Thread, agent: User) -> None:
    reply = outbox.queue_reply(agent, thread, "Nous regardons, pardon pour l'attente.",
                               idempotency_key=f"k-{thread.id}")
    assert outbox.deliver(reply).send_state == "sent"
    inbox.change_status(agent, thread, "resolved")


def _dm_links(http_sandbox: HttpSandbox) -> list[str]:
    return [m for r in http_sandbox.timeline(network="x", kind="dm")
            for m in LINK.findall(r["text"])]


def test_survey_end_to_end_through_the_sandbox_dm(
        app: Flask, client: FlaskClient, http_sandbox: HttpSandbox,
        sandbox_channel: Callable[..., Channel], make_user: Callable[..., User]) -> None:
    app.config["PUBLIC_URL"] = "http://care.example"
    thread = sandbox_thread(http_sandbox, sandbox_channel)
    agent = make_user("agent")
    _enable(thread)
    _answer_and_resolve(thread, agent)
    assert surveys.send_due() == 1
    tokens = _dm_links(http_sandbox)
    assert len(tokens) == 1, http_sandbox.timeline(network="x", kind="dm")
    survey = db.session.scalar(db.select(Survey))
    assert survey is not None and survey.state == "sent" and survey.route == "private_message"
    assert survey.language == (thread.language if thread.language in ("fr", "en") else "en")
    # Never twice: the job again, then a reopen-and-resolve, then the job again.
    assert surveys.send_due() == 0
    inbox.change_status(agent, thread, "open")
    inbox.change_status(agent, thread, "resolved")
    assert surveys.send_due() == 0
    assert len(_dm_links(http_sandbox)) == 1
    # The survey message is no agent answer and no "reply" in the figures.
    sent = db.session.scalar(db.select(Message).filter_by(kind="survey"))
    assert sent is not None and sent.visibility == "private"

    page = client.get(f"/survey/{tokens[0]}")
    assert page.status_code == 200
    assert "csrf_token" in page.get_data(as_text=True)
    done = client.post(f"/survey/{tokens[0]}", data={
        "speed": "4", "listening": "5", "resolution": "2",
        "comment": "Merci, mon numéro est 06 12 34 56 78"})
    assert done.status_code == 200 and 'id="survey-thanks"' in done.get_data(as_text=True)
    db.session.expire_all()
    survey = db.session.get(Survey, survey.id)
    assert survey is not None and survey.resolution == 2 and survey.answered_at is not None
    assert "06 12 34 56 78" not in surveys.masked_comment(survey)
    # A second visit shows the thanks page; a second answer changes nothing.
    again = client.post(f"/survey/{tokens[0]}", data={"speed": "1", "listening": "1",
                                                      "resolution": "1"})
    assert "already recorded" in again.get_data(as_text=True) or \
        "déjà" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).speed == 4  # type: ignore[union-attr]

    # The dashboard moves.
    upkeep.refresh()
    brand = thread.channel.brand
    today = queries.today_of(brand)
    figs = queries.load(brand, metrics.DateRange(today, today), None).figures
    assert figs.surveys_sent == 1 and figs.surveys_answered == 1
    assert figs.questions["resolution"].distribution == (0, 1, 0, 0, 0)
    # The comment is on the dashboard with its personal data masked.
    reader = make_user("brand")
    client.post("/login", data={"email": reader.email, "password": "correct horse battery"})
    page = client.get("/dashboard?preset=today").get_data(as_text=True)
    assert "Merci, mon numéro est [phone]" in page
    assert "06 12 34 56 78" not in page


def test_no_survey_for_abusive_disabled_or_recently_surveyed(
        app: Flask, http_sandbox: HttpSandbox, sandbox_channel: Callable[..., Channel],
        make_user: Callable[..., User]) -> None:
    channel = sandbox_channel("x")
    agent = make_user("agent")
    http_sandbox.post(network="x", kind="mention", handle="same_person", text="colis perdu")
    from app.jobs.poll import poll_channel

    assert poll_channel(channel.id).state == "ok"
    first = db.session.scalar(db.select(Thread))
    assert first is not None
    # Surveys not enabled: nothing.
    _answer_and_resolve(first, agent)
    assert surveys.send_due() == 0
    settings = _enable(first)
    assert surveys.send_due() == 1
    # Same customer again within 30 days: a skipped row, no message.
    http_sandbox.post(network="x", kind="mention", handle="same_person",
                      text="encore un autre souci avec une autre commande")
    assert poll_channel(channel.id).state == "ok"
    second = db.session.scalars(db.select(Thread).order_by(Thread.id.desc())).first()
    assert second is not None and second.id != first.id
    _answer_and_resolve(second, agent)
    surveys.send_due()
    skipped = db.session.scalar(db.select(Survey).filter_by(thread_id=second.id))
    assert skipped is not None and skipped.state == "skipped"
    assert skipped.route == "recent_survey"
    assert len(_dm_links(http_sandbox)) == 1
    # Closed as abusive: never surveyed.
    http_sandbox.post(network="x", kind="mention", handle="rude_one", text="vous êtes nuls")
    assert poll_channel(channel.id).state == "ok"
    rude = db.session.scalars(db.select(Thread).order_by(Thread.id.desc())).first()
    assert rude is not None
    inbox.close_abusive(agent, rude)
    surveys.send_due()
    assert db.session.scalar(db.select(Survey).filter_by(thread_id=rude.id)) is None
    assert settings.survey_cooldown_days == 30


def test_survey_link_expires(app: Flask, client: FlaskClient, http_sandbox: HttpSandbox,
                             sandbox_channel: Callable[..., Channel],
                             make_user: Callable[..., User]) -> None:
    thread = sandbox_thread(http_sandbox, sandbox_channel)
    _enable(thread)
    _answer_and_resolve(thread, make_user("agent"))
    surveys.send_due()
    survey = db.session.scalar(db.select(Survey))
    assert survey is not None
    token = surveys.make_token(survey)
    survey.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.post(f"/survey/{token}", data={"speed": "5", "listening": "5",
                                                     "resolution": "5"})
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Survey, survey.id).answered_at is None  # type: ignore[union-attr]


def test_facebook_survey_uses_the_comments_private_reply_once(
        app: Flask, http_sandbox: HttpSandbox, sandbox_channel: Callable[..., Channel],
        make_user: Callable[..., User]) -> None:
    thread = sandbox_thread(http_sandbox, sandbox_channel, network="facebook",
                            text="Mon colis n'est jamais arrivé, commande bloquée")
    _enable(thread)
    _answer_and_resolve(thread, make_user("agent"))
    assert surveys.send_due() == 1
    survey = db.session.scalar(db.select(Survey))
    assert survey is not None and survey.route == "private_reply", survey.route
    assert survey.state == "sent"
    messages = http_sandbox.timeline(network="facebook", kind="message")
    assert len(messages) == 1 and "/survey/" in messages[0]["text"]


def test_facebook_without_a_private_route_follows_the_brand_choice(
        app: Flask, http_sandbox: HttpSandbox, sandbox_channel: Callable[..., Channel],
        make_user: Callable[..., User]) -> None:
    thread = sandbox_thread(http_sandbox, sandbox_channel, network="facebook")
    agent = make_user("agent")
    # The comment's one private reply is used by the agent: no private route is left.
    private.move_to_private(agent, thread, "Pouvez-vous nous donner votre numéro de commande ?",
                          idempotency_key="move-1")
    inbox.change_status(agent, thread, "resolved")
    _enable(thread)
    surveys.send_due()
    survey = db.session.scalar(db.select(Survey))
    assert survey is not None and survey.state == "skipped"
    assert survey.route == "no_private_route"
    assert not [m for m in http_sandbox.timeline(network="facebook")
                if "/survey/" in m["text"]]
