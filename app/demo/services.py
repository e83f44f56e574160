"""Seeding the demo, idempotently: running it again keeps existing data."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from app.auth.passwords import hash_password
from app.demo.content import CONVERSATIONS, DEMO_USERS
from app.extensions import db
from app.models import (
    Author,
    Brand,
    Channel,
    ChannelStatus,
    Direction,
    Message,
    SendState,
    Thread,
    User,
    Visibility,
    utcnow,
)

BRAND_SLUG = "marketplace"
X_ACCOUNT_ID = "1600000000000000001"
FB_PAGE_ID = "104000000000001"


@dataclass(frozen=True)
class SeedReport:
    """What the seed did, for the terminal."""

    passwords: dict[str, tuple[str, str]]  # key -> (email, password)
    created_users: int
    created_threads: int


def _passwords(instance_path: Path) -> dict[str, str]:
    # Demo passwords are random but stable: kept beside the database, printed each run.
    path = instance_path / "demo_passwords.json"
    known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    changed = False
    for key in DEMO_USERS:
        if key not in known:
            known[key] = f"{key}-{secrets.token_urlsafe(6)}"
            changed = True
    if changed:
        instance_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(known, handle, indent=2)
    return known


def seed_demo(instance_path: Path, sandbox_root: str | None = None) -> SeedReport:
    """Create demo users, the demo brand, its channels and threads; commit once."""
    passwords = _passwords(instance_path)
    users: dict[str, User] = {}
    created_users = 0
    for key, spec in DEMO_USERS.items():
        user = db.session.scalar(db.select(User).filter_by(email=spec["email"]))
        if user is None:
            user = User(email=spec["email"], name=spec["name"], role=spec["role"],
                        signature=spec["signature"] or None, locale=spec["locale"],
                        password_hash=hash_password(passwords[key]))
            db.session.add(user)
            created_users += 1
        users[key] = user

    brand = db.session.scalar(db.select(Brand).filter_by(slug=BRAND_SLUG))
    if brand is None:
        brand = Brand(name="Marketplace", slug=BRAND_SLUG, timezone="Europe/Paris",
                      settings={})
        db.session.add(brand)
    channels = {
        "x": _channel(brand, "x", "@MarketplaceCare", X_ACCOUNT_ID, "MarketplaceCare",
                      sandbox_root and f"{sandbox_root}/x"),
        "facebook": _channel(brand, "facebook", "Marketplace (Facebook)", FB_PAGE_ID,
                             "Marketplace", sandbox_root and f"{sandbox_root}/graph"),
    }
    db.session.flush()

    created_threads = 0
    now = utcnow()
    for index, conv in enumerate(CONVERSATIONS):
        channel = channels[conv["network"]]
        origin = f"demo-{index}"
        exists = db.session.scalar(
            db.select(Thread.id).filter_by(channel_id=channel.id, origin_platform_id=origin)
        )
        if exists is not None:
            continue
        handle, name, followers, segment = conv["author"]
        author = _author(conv["network"], handle, name, followers, segment)
        start = now - timedelta(minutes=conv["minutes_ago"])
        thread = Thread(channel=channel, author=author, origin_platform_id=origin,
                        subject=conv["messages"][0][1][:120], status=conv.get("status", "new"),
                        visibility=Visibility.PUBLIC.value, category=conv["category"],
                        language=conv["language"], urgency=list(conv.get("urgency", [])),
                        priority=_demo_priority(conv), created_at=start, last_message_at=start)
        db.session.add(thread)
        for position, (who, text, offset) in enumerate(conv["messages"]):
            at = start + timedelta(minutes=offset)
            message = Message(thread=thread, channel_id=channel.id,
                              platform_id=f"{origin}-{position}", text=text,
                              visibility=Visibility.PUBLIC.value, platform_created_at=at,
                              received_at=at, language=conv["language"])
            if who == "customer":
                message.direction = Direction.INBOUND.value
                message.kind = "mention" if conv["network"] == "x" else "comment"
                message.author = author
            else:
                message.direction = Direction.OUTBOUND.value
                message.kind = "reply"
                message.agent = users[who]
                message.send_state = SendState.SENT.value
                message.sent_at = at
                if thread.first_response_at is None:
                    thread.first_response_at = at
                    thread.status = conv.get("status", "waiting")
            thread.last_message_at = at
            db.session.add(message)
        created_threads += 1
    db.session.commit()
    return SeedReport(
        passwords={k: (DEMO_USERS[k]["email"], passwords[k]) for k in DEMO_USERS},
        created_users=created_users,
        created_threads=created_threads,
    )


def _demo_priority(conv: dict) -> float:
    # Placeholder ordering for seeded threads only; live mentions are scored by triage.
    base = 80.0 if conv.get("urgency") else 40.0
    return base + min(conv["author"][2], 20000) / 1000


def _channel(brand: Brand, network: str, name: str, account_id: str, handle: str,
             base_url: str | None) -> Channel:
    channel = db.session.scalar(
        db.select(Channel).filter_by(network=network, account_id=account_id)
    )
    if channel is None:
        channel = Channel(brand=brand, network=network, name=name, account_id=account_id,
                          handle=handle, status=ChannelStatus.NEW.value, poll_interval=10)
        db.session.add(channel)
    if base_url:
        channel.api_base_url = base_url
    return channel


def _author(network: str, handle: str, name: str, followers: int, segment: str) -> Author:
    platform_id = f"demo-{handle}"
    author = db.session.scalar(
        db.select(Author).filter_by(network=network, platform_id=platform_id)
    )
    if author is None:
        author = Author(network=network, platform_id=platform_id, handle=handle,
                        display_name=name, followers=followers or None, segment=segment)
        db.session.add(author)
    return author
