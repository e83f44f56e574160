"""A delivery says why a reply did not go out (typed), beside the message's readable text."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import app.outbox.services as outbox
from app.models import SendState, Thread, User
from tests.fakes_care import FakeConnector, install


def test_a_refused_private_reply_is_a_typed_failure(
        monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., User],
        make_thread: Callable[..., Thread]) -> None:
    fake = install(monkeypatch, FakeConnector("x"))
    fake.refuse_private = "already replied privately to this comment"
    agent = make_user("agent", signature="^Marie")
    thread = make_thread("Remboursement refusé")
    message = outbox.queue_reply(agent, thread, "Bonjour, nous regardons.",
                                 idempotency_key="delivery-1", private=True)
    delivery = outbox.deliver_reply(message)
    assert delivery.failure is outbox.SendFailure.PRIVATE_REPLY_UNAVAILABLE
    assert delivery.message.send_state == SendState.FAILED.value
    assert "already replied privately" in (delivery.message.send_error or "")


def test_a_sent_reply_has_no_failure(
        monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., User],
        make_thread: Callable[..., Thread]) -> None:
    install(monkeypatch, FakeConnector("x"))
    agent = make_user("agent", signature="^Marie")
    thread = make_thread("Où est mon colis ?")
    message = outbox.queue_reply(agent, thread, "Bonjour, nous regardons.",
                                 idempotency_key="delivery-2")
    delivery = outbox.deliver_reply(message)
    assert delivery.failure is None and delivery.message.send_state == SendState.SENT.value
    # The thread went through the aggregate's "reply sent" transition.
    assert thread.status == "waiting" and thread.first_response_at is not None
