"""Facebook webhooks: the signature check and the Page ``feed`` / Messenger ``messages``
payloads read into :class:`InboundPost` (no Flask, no database).

Payload shapes are those of Meta's Webhooks reference: ``{"object": "page", "entry": [{"id":
<page id>, "time": ..., "changes": [{"field": "feed", "value": {"item": "comment", "verb":
"add", "comment_id", "post_id", "parent_id", "message", "created_time", "from"?, "photo"?}}]
| "messaging": [{"sender": {"id"}, "recipient": {"id"}, "timestamp", "message": {"mid",
"text", "attachments"?, "is_echo"?}}]}]}``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from connectors.base import (
    Attachment,
    InboundPost,
    SkippedItem,
    as_object,
    parse_time,
    utcnow,
)
from connectors.facebook import graph_author

SIGNATURE_PREFIX = "sha256="


def signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``body``."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` signs ``body`` with the app secret (constant-time compare).

    An empty secret accepts nothing: an unconfigured console must not take unsigned posts.
    """
    if not secret or not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header.strip().encode())


@dataclass
class WebhookItem:
    """One post a delivery carries, for the Page ``page_id``."""

    page_id: str
    post: InboundPost


@dataclass
class ParsedDelivery:
    """What a delivery carries: posts by page, and what could not be read."""

    items: list[WebhookItem]
    skipped: list[SkippedItem]


def _time(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 10**11:
        value = value / 1000  # Messenger timestamps are in milliseconds
    try:
        return parse_time(value)
    except ValueError:
        return utcnow()


def _comment(page_id: str, value: dict[str, Any]) -> InboundPost | SkippedItem | None:
    if value.get("item") != "comment":
        return None  # posts, reactions, shares...: not customer messages to answer
    comment_id = value.get("comment_id")
    if not isinstance(comment_id, str) or not comment_id:
        return SkippedItem(None, "feed comment without comment_id")
    post_id = str(value.get("post_id") or "")
    parent = value.get("parent_id")
    parent_id = str(parent) if parent and parent != post_id else None
    verb = value.get("verb")
    message = value.get("message")
    text = message if isinstance(message, str) else ""
    attachments: list[Attachment] = []
    photo = value.get("photo")
    if isinstance(photo, str) and photo.startswith("https://"):
        attachments.append(Attachment("photo", photo, photo))
    video = value.get("video")
    if isinstance(video, str) and video.startswith("https://"):
        attachments.append(Attachment("video", video, None))
    sender = as_object(value.get("from"))
    if sender.get("id") == page_id:
        return None  # the Page's own comment
    return InboundPost(
        platform_id=comment_id, kind="comment", conversation_id=post_id or None,
        parent_id=parent_id,
        author=graph_author(sender or None, hidden_key=parent_id or comment_id),
        text=text, created_at=_time(value.get("created_time")),
        url=f"https://www.facebook.com/{comment_id}", private=False, raw=value,
        attachments=attachments, hidden=verb == "hide", deleted=verb == "remove",
        edited=verb == "edited", update_only=verb in ("remove", "hide", "unhide"))


def _messaging(page_id: str, event: dict[str, Any]) -> InboundPost | SkippedItem | None:
    message = as_object(event.get("message"))
    if not message:
        return None  # delivery and read receipts, postbacks...
    if message.get("is_echo"):
        return None  # the Page's own message
    mid = message.get("mid")
    if not isinstance(mid, str) or not mid:
        return SkippedItem(None, "Messenger message without mid")
    sender = str(as_object(event.get("sender")).get("id") or "")
    if not sender:
        return SkippedItem(mid, "Messenger message without sender")
    attachments = []
    raw_attachments = message.get("attachments")
    for item in raw_attachments if isinstance(raw_attachments, list) else []:
        entry = as_object(item)
        url = as_object(entry.get("payload")).get("url")
        kind = {"image": "photo"}.get(str(entry.get("type")), str(entry.get("type") or "file"))
        link = url if isinstance(url, str) and url.startswith("https://") else None
        attachments.append(Attachment(kind[:40], link, link if kind == "photo" else None))
    text = message.get("text")
    return InboundPost(
        platform_id=mid, kind="dm", conversation_id=None, parent_id=None,
        author=graph_author({"id": sender}), text=text if isinstance(text, str)
        else "", created_at=_time(event.get("timestamp")), url=None, private=True,
        raw=event, attachments=attachments)


def parse_delivery(body: Any) -> ParsedDelivery:
    """Read a Page webhook delivery; anything unreadable is skipped with a reason."""
    parsed = ParsedDelivery([], [])
    payload = as_object(body)
    if payload.get("object") != "page":
        parsed.skipped.append(SkippedItem(None, f"object is {payload.get('object')!r}"))
        return parsed
    entries = payload.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        entry = as_object(entry)
        page_id = str(entry.get("id") or "")
        if not page_id:
            parsed.skipped.append(SkippedItem(None, "entry without page id"))
            continue
        changes = entry.get("changes")
        for change in changes if isinstance(changes, list) else []:
            change = as_object(change)
            if change.get("field") != "feed":
                continue
            found = _comment(page_id, as_object(change.get("value")))
            if isinstance(found, SkippedItem):
                parsed.skipped.append(found)
            elif found is not None:
                parsed.items.append(WebhookItem(page_id, found))
        events = entry.get("messaging")
        for event in events if isinstance(events, list) else []:
            found = _messaging(page_id, as_object(event))
            if isinstance(found, SkippedItem):
                parsed.skipped.append(found)
            elif found is not None:
                parsed.items.append(WebhookItem(page_id, found))
    return parsed
