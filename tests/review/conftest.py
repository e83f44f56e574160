"""Factories of the tone committee tests: agents' replies in a given month."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest

from app.extensions import db
from app.models import Channel, Message, Thread, User

_ids = count(1)


@pytest.fixture
def make_reply(make_thread: Callable[..., Thread]) -> Callable[..., Message]:
    """Factory: make_reply(agent, at=..., text=..., visibility=..., thread=...) -> a sent
    outbound reply (in a new thread with one customer message unless ``thread`` is given)."""

    def make(agent: User, *, at: datetime | None = None, text: str = "Merci, on regarde. ^A",
             visibility: str = "public", thread: Thread | None = None,
             channel: Channel | None = None, acknowledgement: bool = False,
             **fields: Any) -> Message:
        at = at or datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
        if thread is None:
            thread = make_thread("Bonjour, où est mon colis ?", channel=channel,
                                 last_message_at=at - timedelta(minutes=5),
                                 category="delivery")
        n = next(_ids)
        message = Message(thread_id=thread.id, channel_id=thread.channel_id,
                          platform_id=f"reply-{n}", direction="out", kind="reply",
                          visibility=visibility, text=text, agent_id=agent.id,
                          platform_created_at=at, received_at=at, sent_at=at,
                          send_state="sent", is_acknowledgement=acknowledgement, **fields)
        db.session.add(message)
        db.session.commit()
        return message

    return make


@pytest.fixture
def brand_id(make_channel: Callable[..., Channel]) -> int:
    """The test brand (made through a channel), Europe/Paris."""
    return make_channel().brand_id
