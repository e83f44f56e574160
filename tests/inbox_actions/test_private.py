"""Move to private: public acknowledgement (signed), private message, Facebook's window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.models import AuditEvent, Channel, Message, Thread, User, utcnow
from tests.fakes_care import FakeConnector, install


def _outbound(thread_id: int) -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Message).where(
        Message.thread_id == thread_id, Message.direction == "out").order_by(Message.id)))


def _move(client: FlaskClient, thread: Thread, body: str = "Bonjour, pouvez-vous nous "
          "donner votre numéro de commande ?", key: str = "k1") -> Any:
    return client.post(f"/inbox/threads/{thread.id}/private",
                       data={"private-body": body, "private-idempotency_key": key})


def test_move_to_private_on_x(client: FlaskClient, monkeypatch: pytest.MonkeyPatch,
                              make_user: Callable[..., User],
                              make_thread: Callable[..., Thread],
                              login: Callable[..., Any]) -> None:
    fake = install(monkeypatch, FakeConnector("x"))
    agent = make_user("agent", name="Marie Lefèvre", signature="^Marie")
    thread = make_thread("mon colis n'arrive pas", language="fr")
    login(agent)
    response = _move(client, thread, "Votre commande 12345 est bloquée, on regarde.")
    assert response.status_code == 302
    private, public = _outbound(thread.id)
    assert private.visibility == "private" and private.send_state == "sent"
    assert "12345" in private.text  # personal data is fine in private
    assert public.visibility == "public" and public.is_acknowledgement
    assert public.send_state == "sent"
    assert "Nous vous avons envoyé un message privé" in public.text
    assert public.text.endswith("^Marie")
    assert public.text.startswith(f"@{thread.author.handle}")
    assert [s["kind"] for s in fake.sent] == ["private", "public"]
    assert fake.sent[0]["recipient_id"] == thread.author.platform_id
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).visibility == "private"
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="moved_to_private"))
    assert event.details["mode"] == "private_message"
    # Submitting the same form again sends nothing more.
    _move(client, thread, "Votre commande 12345 est bloquée, on regarde.")
    assert len(fake.sent) == 2


def test_ack_language_and_brand_template(client: FlaskClient, monkeypatch: pytest.MonkeyPatch,
                                         make_user: Callable[..., User],
                                         make_channel: Callable[..., Channel],
                                         make_thread: Callable[..., Thread],
                                         login: Callable[..., Any]) -> None:
    install(monkeypatch, FakeConnector("x"))
    agent = make_user("agent", name="Tom Bernard", signature="^Tom")
    channel = make_channel("x")
    thread_en = make_thread("where is my parcel", channel=channel, language="en")
    login(agent)
    _move(client, thread_en, "Let me check", key="en1")
    assert "We have sent you a private message" in _outbound(thread_en.id)[1].text
    channel.brand.settings = {"private_ack": {"fr": "Réponse en MP 😉", "en": "Check your DMs"}}
    db.session.commit()
    thread_fr = make_thread("colis", channel=channel, language="fr")
    _move(client, thread_fr, "Je regarde", key="fr1")
    assert _outbound(thread_fr.id)[1].text.endswith("Réponse en MP 😉 ^Tom")


def test_empty_private_message_is_shown_beside_the_field(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., User],
        make_thread: Callable[..., Thread], login: Callable[..., Any]) -> None:
    fake = install(monkeypatch, FakeConnector("x"))
    thread = make_thread()
    login(make_user("agent"))
    response = _move(client, thread, "   ")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Write the private message first." in page
    assert "<details class=\"move-private\" open" in page
    assert fake.sent == [] and _outbound(thread.id) == []


def test_already_private_and_closed_are_refused(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., User],
        make_thread: Callable[..., Thread], login: Callable[..., Any]) -> None:
    fake = install(monkeypatch, FakeConnector("x"))
    private = make_thread(visibility="private")
    closed = make_thread(status="closed")
    login(make_user("agent"))
    page = client.post(f"/inbox/threads/{private.id}/private", follow_redirects=True,
                       data={"private-body": "x", "private-idempotency_key": "k1"},
                       ).get_data(as_text=True)
    assert "already private" in page
    page = client.post(f"/inbox/threads/{closed.id}/private", follow_redirects=True,
                       data={"private-body": "x", "private-idempotency_key": "k2"},
                       ).get_data(as_text=True)
    assert "This thread is closed." in page
    assert fake.sent == []


def _facebook_thread(make_channel: Callable[..., Channel], make_thread: Callable[..., Thread],
                     age: timedelta, language: str = "fr") -> Thread:
    channel = make_channel("facebook")
    return make_thread("Remboursement refusé", channel=channel, language=language,
                       last_message_at=utcnow() - age)


def test_facebook_private_reply_within_window(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., User],
        make_channel: Callable[..., Channel], make_thread: Callable[..., Thread],
        login: Callable[..., Any]) -> None:
    fake = install(monkeypatch, FakeConnector("facebook", timedelta(days=7)))
    thread = _facebook_thread(make_channel, make_thread, timedelta(days=2))
    login(make_user("agent", signature="^Marie"))
    page = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    assert "Private reply possible for 5 days more" in page
    _move(client, thread, "Bonjour Karim, nous regardons votre remboursement.")
    comment_id = thread.messages[0].platform_id
    assert fake.sent[0] == {"kind": "private", "recipient_id": None, "comment_id": comment_id,
                            "text": "Bonjour Karim, nous regardons votre remboursement. ^Marie"}
    assert fake.sent[1]["kind"] == "public"
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).visibility == "private"


def test_facebook_after_seven_days_falls_back_to_a_public_request(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., User],
        make_channel: Callable[..., Channel], make_thread: Callable[..., Thread],
        login: Callable[..., Any]) -> None:
    fake = install(monkeypatch, FakeConnector("facebook", timedelta(days=7)))
    thread = _facebook_thread(make_channel, make_thread, timedelta(days=8), language="en")
    login(make_user("agent", signature="^Tom"))
    page = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    assert "are over" in page and "Ask to write privately" in page
    response = _move(client, thread, "")
    assert response.status_code == 302
    assert [s["kind"] for s in fake.sent] == ["public"]
    (public,) = _outbound(thread.id)
    assert "write to us in a private message on our page" in public.text
    assert public.text.endswith("^Tom") and public.is_acknowledgement
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="moved_to_private"))
    assert event.details["mode"] == "fallback"
    assert event.details["window"] == "expired"


def test_facebook_one_private_reply_per_comment(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., User],
        make_channel: Callable[..., Channel], make_thread: Callable[..., Thread],
        login: Callable[..., Any]) -> None:
    install(monkeypatch, FakeConnector("facebook", timedelta(days=7)))
    thread = _facebook_thread(make_channel, make_thread, timedelta(hours=3))
    comment = thread.messages[0]
    db.session.add(Message(thread=thread, channel_id=thread.channel_id, direction="out",
                           kind="dm", visibility="private", text="déjà envoyé",
                           send_state="sent", parent_platform_id=comment.platform_id))
    db.session.commit()
    login(make_user("agent"))
    page = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    assert "already sent" in page


def test_facebook_refusal_at_send_time_falls_back(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., User],
        make_channel: Callable[..., Channel], make_thread: Callable[..., Thread],
        login: Callable[..., Any]) -> None:
    fake = install(monkeypatch, FakeConnector("facebook", timedelta(days=7)))
    fake.refuse_private = "already replied privately to this comment"
    thread = _facebook_thread(make_channel, make_thread, timedelta(days=1))
    login(make_user("agent"))
    response = _move(client, thread, "Bonjour")
    assert response.status_code == 302
    assert [s["kind"] for s in fake.sent] == ["public"]
    assert "écrire en message privé" in fake.sent[0]["text"]
