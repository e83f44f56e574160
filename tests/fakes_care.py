"""An in-memory connector for the console's send paths (no network)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from app.models import utcnow
from connectors.base import PrivateReplyUnavailable, SendResult


class FakeConnector:
    """Records every send; can refuse private replies like Facebook does."""

    def __init__(self, network: str = "x", window: timedelta | None = None) -> None:
        self.network = network
        self.max_length = 280 if network == "x" else 8000
        self.private_reply_window = window
        self.sent: list[dict[str, Any]] = []
        self.refuse_private: str | None = None

    def reply_public(self, in_reply_to: str, text: str) -> SendResult:
        self.sent.append({"kind": "public", "in_reply_to": in_reply_to, "text": text})
        return SendResult(f"pub-{len(self.sent)}", None, utcnow())

    def send_private(self, *, recipient_id: str | None, text: str,
                     comment_id: str | None = None) -> SendResult:
        if self.refuse_private:
            raise PrivateReplyUnavailable(self.refuse_private)
        self.sent.append({"kind": "private", "recipient_id": recipient_id,
                          "comment_id": comment_id, "text": text})
        return SendResult(f"dm-{len(self.sent)}", None, utcnow())

    def find_sent(self, in_reply_to: str | None, text: str, since: datetime,
                  private: bool = False, recipient_id: str | None = None) -> SendResult | None:
        return None


def install(monkeypatch: pytest.MonkeyPatch, fake: FakeConnector) -> FakeConnector:
    """Make every connector lookup of the app return ``fake``."""
    import app.channels.services as channel_services
    import app.outbox.services as outbox_services

    monkeypatch.setattr(outbox_services, "connector_for", lambda channel, **kw: fake)
    monkeypatch.setattr(channel_services, "connector_for", lambda channel, **kw: fake)
    return fake
