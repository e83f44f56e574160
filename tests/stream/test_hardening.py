"""Webhook and stream endpoints under hostile or broken input: refused or logged and skipped,
never a crash, never a duplicate."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.jobs.registry import wait_until
from app.models import Channel, Message, WebhookDelivery
from connectors.facebook_webhooks import signature
from tests.jobs.sandbox_http import HttpSandbox
from tests.webhooks.test_facebook_webhooks import (
    PAGE_ID,
    POST_ID,
    SECRET,
    _all_processed,
    comment_value,
    feed,
)
from tests.webhooks.test_facebook_webhooks import _meta_app as _meta_app


@pytest.fixture
def page_channel(make_channel: Callable[..., Channel]) -> Channel:
    return make_channel("facebook", account_id=PAGE_ID)


def _messages(channel: Channel) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Message.platform_id)
                                   .where(Message.channel_id == channel.id)))


def test_the_same_comment_in_two_differently_written_deliveries_is_stored_once(
        client: FlaskClient, page_channel: Channel) -> None:
    payload = feed(comment_value(f"{POST_ID}_51"))
    compact = json.dumps(payload, separators=(",", ":")).encode()
    spaced = json.dumps(payload, indent=2).encode()  # another body: not a replay by digest
    for body in (compact, spaced):
        answer = client.post("/webhooks/facebook", data=body, headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature(SECRET, body)})
        assert answer.status_code == 200
    assert wait_until(lambda: _all_processed() and len(_messages(page_channel)) >= 1, 10)
    assert _messages(page_channel) == [f"{POST_ID}_51"]
    assert db.session.scalar(db.select(db.func.count()).select_from(WebhookDelivery)) == 2


def test_replays_arriving_at_once_store_one_delivery_and_one_message(
        app: Flask, live_server: str, page_channel: Channel) -> None:
    body = json.dumps(feed(comment_value(f"{POST_ID}_52"))).encode()
    headers = {"Content-Type": "application/json",
               "X-Hub-Signature-256": signature(SECRET, body)}
    answers: list[int] = []

    def send() -> None:
        answers.append(requests.post(f"{live_server}/webhooks/facebook", data=body,
                                     headers=headers, timeout=10).status_code)

    senders = [threading.Thread(target=send) for _ in range(6)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(15)
    assert answers == [200] * 6
    assert wait_until(lambda: _all_processed() and len(_messages(page_channel)) >= 1, 10)
    assert _messages(page_channel) == [f"{POST_ID}_52"]
    assert db.session.scalar(db.select(db.func.count()).select_from(WebhookDelivery)) == 1


def test_an_oversized_body_without_length_is_refused_unread(
        app: Flask, live_server: str, page_channel: Channel,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_BYTES", 1000)

    def chunks() -> Iterator[bytes]:  # chunked: no Content-Length to refuse it by
        yield b'{"object": "page", "entry": ['
        for _ in range(200):
            yield b'{"id": "1", "time": 1, "changes": []},'
        yield b'{"id": "1"}]}'

    answer = requests.post(f"{live_server}/webhooks/facebook", data=chunks(),
                           headers={"Content-Type": "application/json",
                                    "X-Hub-Signature-256": "sha256=" + "0" * 64}, timeout=10)
    assert answer.status_code == 413
    assert db.session.scalar(db.select(db.func.count()).select_from(WebhookDelivery)) == 0


@pytest.mark.parametrize("body", [
    {"object": "page", "entry": "not a list"},
    {"object": "page", "entry": [{"id": PAGE_ID, "changes": [{"field": "feed",
                                                              "value": "text"}]}]},
    {"object": "page", "entry": [{"id": PAGE_ID, "messaging": [{"message": None}]}]},
    {"object": "user", "entry": []},
])
def test_signed_but_unreadable_deliveries_are_acknowledged_and_store_nothing(
        client: FlaskClient, page_channel: Channel, body: object) -> None:
    raw = json.dumps(body).encode()
    answer = client.post("/webhooks/facebook", data=raw, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature(SECRET, raw)})
    assert answer.status_code == 200
    assert wait_until(_all_processed, 10)
    assert _messages(page_channel) == []


def test_the_sandbox_stream_refuses_without_a_token_and_checks_rules(
        http_sandbox: HttpSandbox) -> None:
    root = f"{http_sandbox.root}/x/2/tweets/search/stream"
    assert requests.get(root, timeout=5).status_code == 401
    assert requests.get(f"{root}/rules", timeout=5).status_code == 401
    auth = {"Authorization": "Bearer t"}
    assert requests.post(f"{root}/rules", data=b"{oops", timeout=5,
                         headers={**auth, "Content-Type": "application/json"}
                         ).status_code == 400
    assert requests.post(f"{root}/rules", json={"add": [{"value": ""}]}, headers=auth,
                         timeout=5).status_code == 400
    with requests.get(root, headers=auth, stream=True, timeout=5) as answer:
        assert answer.status_code == 200
        assert answer.headers.get("Transfer-Encoding") == "chunked"
        assert next(answer.iter_lines()) == b""  # the keep-alive newline comes at once
