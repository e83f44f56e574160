"""Reply rules: idempotency key, personal data, X length, stale version, retry of unknown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

import app.outbox.services as outbox
from app.extensions import db
from app.models import Channel, Message, Thread, User
from app.outbox.composer import check_draft
from app.outbox.services import SendRefused
from tests.fakes_care import FakeConnector, install
from tests.jobs.sandbox_http import HttpSandbox
from tests.outbox.helpers import sandbox_thread


def _outbound(thread_id: int) -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Message).where(
        Message.thread_id == thread_id, Message.direction == "out").order_by(Message.id)))


def test_same_form_twice_is_one_message_and_one_post(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch,
        make_user: Callable[..., User], make_thread: Callable[..., Thread],
        login: Callable[..., Any]) -> None:
    fake = install(monkeypatch, FakeConnector("x"))
    agent = make_user("agent", signature="^Marie")
    thread = make_thread("Où est mon colis ?")
    login(agent)
    form = {"body": "Bonjour, nous regardons.", "idempotency_key": "form-key-1",
            "version": str(thread.version)}
    first = client.post(f"/inbox/threads/{thread.id}/reply", data=form)
    second = client.post(f"/inbox/threads/{thread.id}/reply", data=form)
    assert first.status_code == second.status_code == 302
    assert len(_outbound(thread.id)) == 1
    assert len(fake.sent) == 1
    # Another form (another key) is another reply.
    client.post(f"/inbox/threads/{thread.id}/reply",
                data=dict(form, idempotency_key="form-key-2",
                          version=str(db.session.get(Thread, thread.id).version)))
    assert len(_outbound(thread.id)) == 2 and len(fake.sent) == 2


def test_personal_data_refused_in_public_allowed_in_private(
        monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., User],
        make_thread: Callable[..., Thread]) -> None:
    fake = install(monkeypatch, FakeConnector("x"))
    agent = make_user("agent")
    thread = make_thread("Commande bloquée")
    for body in ("Écrivez-nous à julie.martin@example.com", "Appelez le 06 12 34 56 78",
                 "Votre IBAN FR76 3000 6000 0112 3456 7890 189 est noté"):
        with pytest.raises(SendRefused) as refused:
            outbox.queue_reply(agent, thread, body, idempotency_key=f"pub-{hash(body)}")
        assert refused.value.code == "personal_data"
        assert refused.value.detail.pii  # the spans, for the composer to highlight
    assert _outbound(thread.id) == [] and fake.sent == []
    message = outbox.queue_reply(agent, thread, "Appelez le 06 12 34 56 78",
                                 idempotency_key="priv-1", private=True)
    assert outbox.deliver(message).send_state == "sent"
    assert fake.sent[0]["kind"] == "private"


def test_too_long_for_x_counts_like_x(monkeypatch: pytest.MonkeyPatch,
                                      make_user: Callable[..., User],
                                      make_channel: Callable[..., Channel],
                                      make_author: Callable[..., Any],
                                      make_thread: Callable[..., Thread]) -> None:
    install(monkeypatch, FakeConnector("x"))
    agent = make_user("agent", signature="^Marie")
    channel = make_channel("x")
    author = make_author(handle="a_rather_long_handle")
    thread = make_thread("help", channel=channel, author=author)
    overhead = len("@a_rather_long_handle ") + len(" ^Marie")
    exact = "x" * (280 - overhead)
    assert check_draft("x", exact, handle=author.handle, signature="^Marie",
                       public=True).length == 280
    outbox.queue_reply(agent, thread, exact, idempotency_key="fits")
    with pytest.raises(SendRefused) as refused:  # one more, counting the @handle
        outbox.queue_reply(agent, thread, exact + "y", idempotency_key="over")
    assert refused.value.code == "too_long" and refused.value.detail.length == 281
    # A long URL counts 23, so a raw text over 280 characters may still fit ...
    url = "https://example.com/" + "a" * 300
    body = "Voir " + url
    assert len(body) > 280
    check = check_draft("x", body, handle=author.handle, signature="^Marie", public=True)
    assert check.length == overhead + len("Voir ") + 23
    outbox.queue_reply(agent, thread, body, idempotency_key="url")
    # ... and characters outside Latin weigh two.
    cjk = "日" * 130
    assert check_draft("x", cjk, handle=None, signature=None, public=True).length == 260
    with pytest.raises(SendRefused):
        outbox.queue_reply(agent, thread, cjk + "本本", idempotency_key="cjk")
    # Facebook allows long replies.
    fb_thread = make_thread("help", channel=make_channel("facebook"))
    outbox.queue_reply(agent, fb_thread, "z" * 2000, idempotency_key="fb-long")


def test_stale_version_is_refused(monkeypatch: pytest.MonkeyPatch,
                                  make_user: Callable[..., User],
                                  make_thread: Callable[..., Thread]) -> None:
    install(monkeypatch, FakeConnector("x"))
    agent = make_user("agent")
    thread = make_thread("Colis ?")
    seen = thread.version
    outbox.queue_reply(agent, thread, "Réponse de Tom", idempotency_key="tom",
                       expected_version=seen)
    with pytest.raises(SendRefused) as refused:
        outbox.queue_reply(agent, thread, "Réponse de Marie", idempotency_key="marie",
                           expected_version=seen)
    assert refused.value.code == "stale" and refused.value.detail == thread.version
    assert len(_outbound(thread.id)) == 1


def test_retry_of_an_unknown_reply_the_platform_has_never_resends(
        http_sandbox: HttpSandbox, sandbox_channel: Callable[..., Channel],
        make_user: Callable[..., User]) -> None:
    agent = make_user("agent")
    thread = sandbox_thread(http_sandbox, sandbox_channel)
    http_sandbox.fault("close_after_store", path="/2/tweets$", method="POST")
    message = outbox.deliver(outbox.queue_reply(agent, thread, "On vérifie votre colis",
                                                idempotency_key="r1"))
    assert message.send_state == "unknown"
    before = len(http_sandbox.counter.requests)
    message = outbox.retry(agent, message)
    assert message.send_state == "sent"
    mine = [r for r in http_sandbox.timeline(network="x") if r["from_brand"]
            and r["parent_id"] == thread.messages[0].platform_id]
    assert [r["id"] for r in mine] == [message.platform_id]
    requests_made = http_sandbox.counter.requests[before:]
    assert requests_made and all(method == "GET" for method, _ in requests_made)  # no POST
    # Retrying a sent reply does nothing.
    assert outbox.retry(agent, message).send_state == "sent"
    assert len([r for r in http_sandbox.timeline(network="x") if r["from_brand"]
                and r["parent_id"] == thread.messages[0].platform_id]) == 1


def test_retry_of_an_unknown_reply_the_platform_lacks_sends_once(
        http_sandbox: HttpSandbox, sandbox_channel: Callable[..., Channel],
        make_user: Callable[..., User]) -> None:
    agent = make_user("agent")
    thread = sandbox_thread(http_sandbox, sandbox_channel)
    message = outbox.queue_reply(agent, thread, "Nous revenons vers vous",
                                 idempotency_key="lost")
    # A crash after the claim, before the request left: unknown, and not on the platform.
    message.send_state = "unknown"
    db.session.commit()
    message = outbox.retry(agent, message)
    assert message.send_state == "sent" and message.send_attempts == 1
    mine = [r for r in http_sandbox.timeline(network="x") if r["from_brand"]]
    assert [r["id"] for r in mine if r["parent_id"]] == [message.platform_id]
