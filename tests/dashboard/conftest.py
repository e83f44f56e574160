"""Hand-built threads for the dashboard tests: exact times, replies, statuses."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import Author, Brand, Channel, Message, Thread, Visibility
from tests.jobs.sandbox_http import http_sandbox, sandbox_channel  # noqa: F401


@dataclass
class Reply:
    """An agent message: minutes after the opening (or an absolute time)."""

    at: datetime
    visibility: str = "public"
    ack: bool = False
    kind: str = "reply"
    sent: bool = True


@dataclass
class Spec:
    """One thread to build."""

    opened: datetime
    replies: Sequence[Reply] = ()
    inbound: Sequence[tuple[datetime, float | None]] = ()  # later customer messages
    polarity: float | None = 0.0
    segment: str = "private"
    status: str = "waiting"
    close_reason: str | None = None
    category: str | None = "delivery"
    urgency: Sequence[str] = ()
    first_due: datetime | None = None
    resolution_due: datetime | None = None
    resolved_at: datetime | None = None
    public: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


_ids = count(1)


def build(spec: Spec, channel: Channel) -> Thread:
    """Store a thread as the spec says (committed)."""
    n = next(_ids)
    author = Author(network=channel.network, platform_id=f"a-{n}", handle=f"cust{n}",
                    segment=spec.segment)
    db.session.add(author)
    visibility = Visibility.PUBLIC.value if spec.public else Visibility.PRIVATE.value
    thread = Thread(channel=channel, author=author, origin_platform_id=f"o-{n}",
                    status=spec.status, close_reason=spec.close_reason,
                    category=spec.category, urgency=list(spec.urgency),
                    first_response_due=spec.first_due, resolution_due=spec.resolution_due,
                    resolved_at=spec.resolved_at, created_at=spec.opened,
                    last_message_at=spec.opened, visibility=visibility, **spec.extra)
    db.session.add(thread)
    db.session.add(Message(thread=thread, channel_id=channel.id, platform_id=f"in-{n}-0",
                           direction="in", kind="mention", visibility=visibility,
                           text="help", author=author, platform_created_at=spec.opened,
                           received_at=spec.opened, polarity=spec.polarity))
    for i, (at, polarity) in enumerate(spec.inbound, start=1):
        db.session.add(Message(thread=thread, channel_id=channel.id, platform_id=f"in-{n}-{i}",
                               direction="in", kind="reply", visibility="public",
                               text="more", author=author, platform_created_at=at,
                               received_at=at, polarity=polarity))
    for i, reply in enumerate(spec.replies):
        db.session.add(Message(
            thread=thread, channel_id=channel.id, platform_id=f"out-{n}-{i}",
            direction="out", kind=reply.kind, visibility=reply.visibility, text="answer",
            platform_created_at=reply.at, received_at=reply.at, is_acknowledgement=reply.ack,
            send_state="sent" if reply.sent else "failed",
            sent_at=reply.at if reply.sent else None))
    db.session.commit()
    return thread


@pytest.fixture
def brand_channels(app: Flask, make_channel: Callable[..., Channel]) -> Iterator[
        tuple[Brand, Channel, Channel]]:
    """The test brand (Europe/Paris, default business hours) and two channels."""
    x = make_channel("x")
    fb = make_channel("facebook")
    brand = x.brand
    brand.timezone = "Europe/Paris"
    db.session.commit()
    yield brand, x, fb


def minutes(base: datetime, m: float) -> datetime:
    """base + m minutes."""
    return base + timedelta(minutes=m)
