"""Facebook webhooks: handshake, signature, accept-store-process, dedupe against polling,
refusals (bad signature, replay, oversized, malformed), polling as a safety net."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.ingest import ingest_page
from app.jobs.poll import poll_channel
from app.jobs.registry import wait_until
from app.models import Channel, Message, WebhookDelivery, utcnow
from app.webhooks.services import process_pending
from connectors.base import HIDDEN_AUTHOR_NAME, Author, InboundPost, PollResult
from connectors.facebook_webhooks import signature

SECRET = "app-secret-4417"
TOKEN = "verify-me"
PAGE_ID = "104000000000777"
POST_ID = f"{PAGE_ID}_900"


@pytest.fixture(autouse=True)
def _meta_app(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(app.config, "FACEBOOK_APP_SECRET", SECRET)
    monkeypatch.setitem(app.config, "FACEBOOK_VERIFY_TOKEN", TOKEN)
    yield
    # No background processing may outlive the test (its tables are cleared next).
    wait_until(_all_processed, 10)


def _all_processed() -> bool:
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count()).select_from(WebhookDelivery)
                             .where(WebhookDelivery.processed_at.is_(None))) == 0


def _send(client: FlaskClient, payload: Any, *, secret: str = SECRET,
          raw: bytes | None = None, sig: str | None = None) -> Any:
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json",
               "X-Hub-Signature-256": sig if sig is not None else signature(secret, body)}
    return client.post("/webhooks/facebook", data=body, headers=headers)


def feed(value: dict[str, Any], page_id: str = PAGE_ID) -> dict[str, Any]:
    """A Page feed delivery as in Meta's Webhooks reference."""
    return {"object": "page", "entry": [{"id": page_id, "time": 1741000000,
                                         "changes": [{"field": "feed", "value": value}]}]}


def comment_value(comment_id: str, message: str = "Toujours pas de remboursement",
                  verb: str = "add", **extra: Any) -> dict[str, Any]:
    value = {"from": {"id": "6001", "name": "Julie Martin"},
             "post": {"status_type": "added_photos", "is_published": True,
                      "updated_time": "2025-03-03T10:00:00+0000",
                      "permalink_url": f"https://www.facebook.com/{POST_ID}",
                      "promotion_status": "inactive", "id": POST_ID},
             "message": message, "post_id": POST_ID, "comment_id": comment_id,
             "created_time": 1741000000, "item": "comment", "parent_id": POST_ID,
             "verb": verb}
    value.update(extra)
    return value


def messaging(mid: str, text: str = "Bonjour, ma commande ?", **message: Any) -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": 1741000000123, "messaging": [{
        "sender": {"id": "7001"}, "recipient": {"id": PAGE_ID},
        "timestamp": 1741000000123, "message": {"mid": mid, "text": text, **message}}]}]}


def _messages(channel: Channel) -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Message).where(Message.channel_id == channel.id)
                                   .order_by(Message.id)))


def _wait_messages(channel: Channel, count: int) -> list[Message]:
    assert wait_until(lambda: _all_processed() and len(_messages(channel)) >= count, 10)
    return _messages(channel)


@pytest.fixture
def page_channel(make_channel: Callable[..., Channel]) -> Channel:
    return make_channel("facebook", account_id=PAGE_ID)


def test_verify_token_handshake(client: FlaskClient) -> None:
    ok = client.get("/webhooks/facebook", query_string={
        "hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.get_data(as_text=True) == "1158201444"
    bad = client.get("/webhooks/facebook", query_string={
        "hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})
    assert bad.status_code == 403


def test_comment_is_accepted_then_stored_out_of_band(
        client: FlaskClient, page_channel: Channel) -> None:
    response = _send(client, feed(comment_value(f"{POST_ID}_1")))
    assert response.status_code == 200
    (message,) = _wait_messages(page_channel, 1)
    assert message.platform_id == f"{POST_ID}_1" and message.kind == "comment"
    assert message.text == "Toujours pas de remboursement"
    db.session.refresh(page_channel)
    assert page_channel.webhook_seen_at is not None


def test_comment_without_from_and_photo(client: FlaskClient, page_channel: Channel) -> None:
    value = comment_value(f"{POST_ID}_2", message="",
                          photo="https://scontent.xx.fbcdn.net/v/t39/4417.jpg")
    del value["from"]
    _send(client, feed(value))
    (message,) = _wait_messages(page_channel, 1)
    assert message.author is not None and message.author.display_name == HIDDEN_AUTHOR_NAME
    assert message.attachments[0]["type"] == "photo"


def test_messenger_message_is_stored_as_private(client: FlaskClient,
                                                page_channel: Channel) -> None:
    _send(client, messaging("m_4417", attachments=[
        {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/v/t1/4417.png"}}]))
    echo = messaging("m_echo", text="Bonjour, ici l'équipe")
    echo["entry"][0]["messaging"][0]["message"]["is_echo"] = True
    _send(client, echo)
    (message,) = _wait_messages(page_channel, 1)
    assert message.platform_id == "m_4417" and message.visibility == "private"
    assert message.attachments[0]["url"] == "https://scontent.xx.fbcdn.net/v/t1/4417.png"


def test_webhook_and_polling_store_the_comment_once(client: FlaskClient,
                                                    page_channel: Channel) -> None:
    _send(client, feed(comment_value(f"{POST_ID}_3")))
    _wait_messages(page_channel, 1)
    polled = InboundPost(platform_id=f"{POST_ID}_3", kind="comment", conversation_id=POST_ID,
                         parent_id=None, author=Author("6001", "", "Julie Martin", None),
                         text="Toujours pas de remboursement", created_at=utcnow(),
                         url=None, private=False, raw={})
    report = ingest_page(page_channel, PollResult([polled], {}, [], False))
    assert report.stored == 0 and report.duplicates == 1
    assert len(_messages(page_channel)) == 1


def test_bad_signature_replay_oversized_and_malformed_are_refused(
        client: FlaskClient, page_channel: Channel, app: Flask,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    payload = feed(comment_value(f"{POST_ID}_4"))
    caplog.set_level(logging.WARNING, "care.webhooks")
    assert _send(client, payload, secret="not-the-secret").status_code == 403
    assert _send(client, payload, sig="").status_code == 403
    assert _send(client, payload, sig="sha1=abc").status_code == 403
    assert _send(client, None, raw=b"{not json").status_code == 400
    assert _send(client, None, raw=b"[1, 2]").status_code == 400
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_BYTES", 200)
    assert _send(client, None, raw=b"{" + b" " * 300 + b"}").status_code == 413
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_BYTES", 1_000_000)
    assert _send(client, payload).status_code == 200
    assert _send(client, payload).status_code == 200  # a replay: acknowledged, not stored
    _wait_messages(page_channel, 1)
    assert db.session.scalar(db.select(db.func.count()).select_from(WebhookDelivery)) == 1
    assert len(_messages(page_channel)) == 1
    assert "bad or missing X-Hub-Signature-256" in caplog.text


def test_unreadable_items_are_skipped_and_the_rest_kept(
        client: FlaskClient, page_channel: Channel) -> None:
    body = feed(comment_value(f"{POST_ID}_5"))
    body["entry"][0]["changes"].extend([
        {"field": "feed", "value": {"item": "comment", "verb": "add"}},  # no comment_id
        {"field": "feed", "value": "nonsense"},
        {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": POST_ID}},
    ])
    body["entry"].append({"id": "999", "changes": "not a list"})
    assert _send(client, body).status_code == 200
    (message,) = _wait_messages(page_channel, 1)
    assert message.platform_id == f"{POST_ID}_5"


def test_hide_edit_and_remove_update_the_stored_comment(
        client: FlaskClient, page_channel: Channel) -> None:
    cid = f"{POST_ID}_6"
    _send(client, feed(comment_value(cid, message="premier texte")))
    _wait_messages(page_channel, 1)
    _send(client, feed(comment_value(cid, verb="hide", message="premier texte")))
    assert wait_until(lambda: _all_processed() and _messages(page_channel)[0].hidden, 10)
    _send(client, feed(comment_value(cid, verb="edited", message="texte corrigé")))
    assert wait_until(lambda: _all_processed()
                      and _messages(page_channel)[0].text == "texte corrigé", 10)
    _send(client, feed(comment_value(cid, verb="remove")))
    assert wait_until(lambda: _all_processed() and _messages(page_channel)[0].deleted, 10)
    (message,) = _messages(page_channel)
    assert message.hidden and message.edit_history == [{"platform_id": cid,
                                                        "text": "premier texte"}]
    # A removal of a comment never seen stores nothing.
    _send(client, feed(comment_value(f"{POST_ID}_7", verb="remove")))
    assert wait_until(_all_processed, 10)
    assert len(_messages(page_channel)) == 1


def test_a_failing_delivery_is_logged_retried_then_given_up(
        app: Flask, page_channel: Channel, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.webhooks.services as services

    def broken(body: dict[str, Any], now: Any) -> None:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(services, "_store", broken)
    db.session.add(WebhookDelivery(network="facebook", digest="d" * 64, body={"object": "page"},
                                   received_at=utcnow(), attempts=0))
    db.session.commit()
    for _ in range(services.MAX_ATTEMPTS):
        assert process_pending() == 0
    delivery = db.session.scalar(db.select(WebhookDelivery))
    assert delivery is not None and delivery.processed_at is not None
    assert delivery.attempts == services.MAX_ATTEMPTS and "database hiccup" in (delivery.error
                                                                                or "")


def test_polling_slows_to_a_safety_net_while_webhooks_deliver(
        app: Flask, page_channel: Channel, monkeypatch: pytest.MonkeyPatch) -> None:
    now = utcnow()
    page_channel.webhook_seen_at = now - timedelta(seconds=30)
    page_channel.last_poll_at = now - timedelta(seconds=60)
    db.session.commit()
    outcome = poll_channel(page_channel.id, clock=lambda: now)
    assert outcome.state == "waiting" and "webhooks" in (outcome.detail or "")
    # The safety net: once WEBHOOK_SAFETY_POLL_SECONDS have passed, it polls again.
    later = now + timedelta(seconds=app.config["WEBHOOK_SAFETY_POLL_SECONDS"])
    assert poll_channel(page_channel.id, clock=lambda: later).state != "waiting"
    # Webhooks quiet for WEBHOOK_QUIET_SECONDS: polling at the channel's own interval.
    page_channel = db.session.get(Channel, page_channel.id)
    assert page_channel is not None
    page_channel.webhook_seen_at = now - timedelta(seconds=app.config["WEBHOOK_QUIET_SECONDS"])
    page_channel.last_poll_at = now - timedelta(seconds=5)
    page_channel.rate_limited_until = None
    db.session.commit()
    assert poll_channel(page_channel.id, clock=lambda: now).state != "waiting"


def test_the_channel_page_says_how_often_and_why(
        client: FlaskClient, page_channel: Channel, make_user: Callable[..., Any],
        login: Callable[..., Any]) -> None:
    login(make_user("admin"))
    html = client.get(f"/admin/channels/{page_channel.id}").get_data(as_text=True)
    assert f"Every {page_channel.poll_interval} s — the channel" in html
    page_channel.webhook_seen_at = utcnow() - timedelta(seconds=20)
    db.session.commit()
    html = client.get(f"/admin/channels/{page_channel.id}").get_data(as_text=True)
    assert "Webhooks deliver" in html and "as a safety net" in html
