"""Seeding the demo, idempotently: running it again keeps existing data."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.auth.passwords import hash_password
from app.channels import crypto
from app.dashboard.upkeep import refresh as refresh_rollups
from app.demo.content import CANNED, CANNED_CATEGORIES, CONVERSATIONS, DEMO_USERS
from app.demo.history import seed_history
from app.demo.review import seed_review_demo
from app.extensions import db
from app.ingest.pipeline import store_page
from app.models import (
    Author,
    Brand,
    CannedReply,
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
from app.sandbox.store import SandboxStore, stable_user_id
from app.threads import record_reply_sent, set_status
from connectors.base import Author as ConnectorAuthor
from connectors.base import InboundPost, PollResult

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


def seed_demo(instance_path: Path, sandbox: SandboxStore | None = None,
              sandbox_root: str | None = None) -> SeedReport:
    """Create demo users, the demo brand, its channels and threads; commit once.

    With a sandbox, the customers' posts and the agents' replies are published on the sandbox
    first, so the threads carry the platform's real ids: replies from the console reach the
    sandbox, and the pollers' first pass finds the same posts and stores nothing twice.
    Inbound messages go through the real ingest pipeline (triage, threading, SLA).
    """
    passwords = _passwords(instance_path)
    users: dict[str, User] = {}
    created_users = 0
    for key, spec in DEMO_USERS.items():
        user = db.session.scalar(select(User).filter_by(email=spec["email"]))
        if user is None:
            user = User(email=spec["email"], name=spec["name"], role=spec["role"],
                        signature=spec["signature"] or None, locale=spec["locale"] or None,
                        password_hash=hash_password(passwords[key]))
            db.session.add(user)
            created_users += 1
        users[key] = user

    brand = db.session.scalar(select(Brand).filter_by(slug=BRAND_SLUG))
    if brand is None:
        brand = Brand(name="Marketplace", slug=BRAND_SLUG, timezone="Europe/Paris",
                      settings={})
        db.session.add(brand)
    channels = {
        "x": _channel(brand, "x", "@MarketplaceCare", X_ACCOUNT_ID, "MarketplaceCare",
                      sandbox_root and f"{sandbox_root}/x",
                      {"bearer_token": "sandbox-token"} if sandbox_root else None),
        "facebook": _channel(brand, "facebook", "Marketplace (Facebook)", FB_PAGE_ID,
                             "Marketplace", sandbox_root and f"{sandbox_root}/graph",
                             {"page_access_token": "sandbox-token"} if sandbox_root else None),
    }
    db.session.flush()

    done = set((brand.settings or {}).get("demo_conversations", []))
    created_threads = 0
    now = utcnow()
    for index, conv in enumerate(CONVERSATIONS):
        if index in done:
            continue
        _seed_conversation(index, conv, channels[conv["network"]], users, sandbox, now)
        done.add(index)
        created_threads += 1
    brand.settings = {**(brand.settings or {}), "demo_conversations": sorted(done)}
    _seed_canned(brand)
    # The dashboard's history first: the committee's demo draws from those months' replies.
    created_threads += seed_history(brand, list(channels.values()),
                                    [users["agent"], users["agent2"]], now)
    created_threads += seed_review_demo(brand, channels, users, now)
    db.session.commit()
    # The rollup job's first run, now: the brand user lands on computed figures (the live
    # demo conversations included), not on "not computed yet" until the scheduler's minute.
    refresh_rollups(now)
    return SeedReport(
        passwords={k: (DEMO_USERS[k]["email"], passwords[k]) for k in DEMO_USERS},
        created_users=created_users,
        created_threads=created_threads,
    )


def _seed_conversation(index: int, conv: dict[str, Any], channel: Channel,
                       users: dict[str, User], sandbox: SandboxStore | None,
                       now: datetime) -> None:
    network = conv["network"]
    handle, name, followers, segment = conv["author"]
    start = now - timedelta(minutes=conv["minutes_ago"])
    author_id = stable_user_id(network, handle) if sandbox else f"demo-{handle}"
    # The segment is known before the first message, so triage and SLA clocks use it.
    if db.session.scalar(select(Author.id).filter_by(network=network,
                                                        platform_id=author_id)) is None:
        db.session.add(Author(network=network, platform_id=author_id, handle=handle,
                              display_name=name, followers=followers or None,
                              segment=segment))
        db.session.flush()
    root_id: str | None = None  # the customer's first post (X) or top-level comment (FB)
    last_id: str | None = None
    thread: Thread | None = None
    for position, (who, text, offset) in enumerate(conv["messages"]):
        at = start + timedelta(minutes=offset)
        if who == "customer":
            if sandbox is not None:
                if network == "x":
                    row = sandbox.customer_post(
                        network="x", kind="reply" if last_id else "mention", handle=handle,
                        name=name, followers=followers, text=text, in_reply_to=last_id,
                        created_at=at.timestamp())
                else:
                    row = sandbox.customer_post(
                        network="facebook", kind="comment", handle=handle, name=name,
                        text=text, in_reply_to=root_id, created_at=at.timestamp())
                post_id, text = row["id"], row["text"]
                conversation = row.get("conversation_id")
            else:
                post_id = f"demo-{index}-{position}"
                conversation = f"demo-{index}"
            post = InboundPost(
                platform_id=post_id, kind="mention" if network == "x" else "comment",
                conversation_id=conversation if network == "x" else None,
                parent_id=(root_id if network == "facebook" else last_id),
                author=ConnectorAuthor(author_id, handle, name, followers or None),
                text=text, created_at=at, url=None, private=False, raw={})
            root_id = root_id or post_id
            last_id = post_id
            report = store_page(channel, PollResult(items=[post], cursor=channel.poll_cursor or {},
                                                    skipped=[], more=False), private=False)
            thread = db.session.get(Thread, report.thread_ids[0]) if report.thread_ids \
                else thread
        else:
            assert thread is not None and last_id is not None
            agent = users[who]
            if sandbox is not None:
                row = sandbox.brand_tweet(text, last_id) if network == "x" \
                    else sandbox.brand_comment(root_id or last_id, text)
                sent_id = row["id"]
            else:
                sent_id = f"demo-{index}-{position}"
            db.session.add(Message(
                thread=thread, channel_id=channel.id, platform_id=sent_id, text=text,
                visibility=Visibility.PUBLIC.value, platform_created_at=at, received_at=at,
                direction=Direction.OUTBOUND.value, kind="reply", agent=agent,
                send_state=SendState.SENT.value, sent_at=at, parent_platform_id=last_id))
            record_reply_sent(thread, at)
            if network == "x":
                last_id = sent_id
    if thread is not None and conv.get("status"):
        set_status(thread, conv["status"], now)
    db.session.flush()


def _seed_canned(brand: Brand) -> None:
    """Add the demo's canned replies that are not there yet (matched on language and title)."""
    rows = db.session.execute(select(CannedReply.language, CannedReply.title)
                              .where(CannedReply.brand_id == brand.id))
    existing = {(language, title) for language, title in rows}
    for language, title, body in CANNED:
        if (language, title) in existing:
            continue
        reply = CannedReply(brand_id=brand.id, language=language, title=title,
                            body=body, category=CANNED_CATEGORIES.get(title))
        reply.refresh_search_text()
        db.session.add(reply)


def _channel(brand: Brand, network: str, name: str, account_id: str, handle: str,
             base_url: str | None, credentials: dict[str, str] | None) -> Channel:
    channel = db.session.scalar(
        select(Channel).filter_by(network=network, account_id=account_id)
    )
    if channel is None:
        channel = Channel(brand=brand, network=network, name=name, account_id=account_id,
                          handle=handle, status=ChannelStatus.NEW.value, poll_interval=10)
        db.session.add(channel)
    if base_url:
        channel.api_base_url = base_url
        # The sandbox streams X mentions like the filtered stream: `make run` is real time.
        if network == "x":
            channel.stream_enabled = True
    if credentials and not channel.credentials_encrypted:
        channel.credentials_encrypted = crypto.encrypt(credentials,
                                                       current_app.config["FERNET_KEYS"])
    return channel
