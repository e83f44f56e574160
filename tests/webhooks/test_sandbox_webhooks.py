"""The sandbox delivers signed webhooks: a customer comment or message reaches the inbox
without waiting for a poll."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from app.extensions import db
from app.jobs.registry import wait_until
from app.models import Channel, Message
from app.sandbox import SandboxStore
from app.sandbox.store import Brand
from app.sandbox.webhooks import WebhookSender
from tests.webhooks.test_facebook_webhooks import SECRET, _all_processed
from tests.webhooks.test_facebook_webhooks import _meta_app as _meta_app

PAGE = "104000000000001"


def test_sandbox_comments_and_messages_arrive_by_webhook(
        app: Flask, live_server: str, tmp_path: Path,
        make_channel: Callable[..., Channel]) -> None:
    channel = make_channel("facebook", account_id=PAGE)
    store = SandboxStore(str(tmp_path / "sandbox.db"),
                         Brand("1600000000000000001", "MarketplaceCare", PAGE, "Marketplace"))
    store.listeners.append(WebhookSender(f"{live_server}/webhooks/facebook", SECRET, PAGE))
    started = time.monotonic()
    comment = store.customer_post(network="facebook", kind="comment", handle="julie",
                                  name="Julie", text="Où est mon remboursement ?")
    message = store.customer_post(network="facebook", kind="message", handle="tom",
                                  text="", photo_url="https://example.com/p.jpg")
    anonymous = store.customer_post(network="facebook", kind="comment", handle="anon",
                                    text="Arnaque", anonymous=True)

    def stored() -> set[str]:
        db.session.expire_all()
        return set(db.session.scalars(db.select(Message.platform_id)
                                      .where(Message.channel_id == channel.id)))

    wanted = {comment["id"], message["id"], anonymous["id"]}
    assert wait_until(lambda: stored() == wanted and _all_processed(), 10)
    assert time.monotonic() - started < 5  # seconds, not a poll interval
