"""Use case: move a thread to private.

One action posts a short public acknowledgement ("we have sent you a private message") and
sends the private message (X direct message, Facebook private reply through Messenger),
which continues in the same thread, marked private. When Facebook no longer allows a
private reply (7 days passed, or one was sent), a public message asks the customer to write
to the page privately instead.

Transactions: the private message is committed as pending before it is sent (the outbox's
invariant: a reply is a row before it is a post, so it is never posted twice); the
acknowledgement, the thread's new visibility, the audit and the event are then committed
together, once the private message's outcome is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.audit import record
from app.channels import services as channel_services
from app.extensions import db
from app.models import (
    Direction,
    Message,
    SendState,
    Thread,
    ThreadStatus,
    User,
    Visibility,
    utcnow,
)
from app.outbox import services as outbox
from app.threads import bump_version, publish_thread_updated
from connectors.registry import connector_class

#: Customer-facing texts (in the customer's language, not the interface's); a brand
#: overrides them in ``Brand.settings["private_ack"]`` / ``["private_fallback"]``.
DEFAULT_PRIVATE_ACK = {
    "fr": "Nous vous avons envoyé un message privé.",
    "en": "We have sent you a private message.",
}
DEFAULT_PRIVATE_FALLBACK = {
    "fr": "Pouvez-vous nous écrire en message privé sur notre page ? Nous pourrons y "
          "regarder votre dossier en toute confidentialité.",
    "en": "Could you write to us in a private message on our page? We can look into your "
          "case there in confidence.",
}


class PrivateRefused(ValueError):
    """A refused move; ``code`` picks the message shown, ``field`` where it is shown."""

    def __init__(self, code: str, field: str | None = None, detail: Any = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.detail = detail


@dataclass(frozen=True)
class PrivateWindow:
    """Whether a private reply can still be sent, and until when (Facebook: 7 days, once)."""

    available: bool
    expires_at: datetime | None = None
    reason: str | None = None  # "expired", "already_used", "no_comment"

    @property
    def remaining(self) -> timedelta | None:
        """Time left before the window closes (None when there is no window)."""
        if self.expires_at is None:
            return None
        return max(self.expires_at - utcnow(), timedelta(0))


@dataclass(frozen=True)
class PrivateMove:
    """The outcome: the private message (None on fallback) and the public message."""

    private_message: Message | None
    public_message: Message
    fallback: bool


def _window_length(thread: Thread) -> timedelta | None:
    network = thread.channel.network
    try:
        length: timedelta | None = channel_services.connector_for(
            thread.channel).private_reply_window
        return length
    except Exception:  # no credentials or library here: the network's known rule
        cls = connector_class(network)
        if cls is not None:
            return getattr(cls, "private_reply_window", None)
        return timedelta(days=7) if network == "facebook" else None


def _latest_comment(thread: Thread) -> Message | None:
    return db.session.scalar(
        select(Message).where(Message.thread_id == thread.id,
                                 Message.direction == Direction.INBOUND.value,
                                 Message.visibility == Visibility.PUBLIC.value,
                                 Message.platform_id.is_not(None))
        .order_by(Message.platform_created_at.desc(), Message.id.desc()).limit(1))


def private_window(thread: Thread) -> PrivateWindow:
    """The private-reply window of the thread's latest public comment."""
    if thread.channel.network != "facebook":
        return PrivateWindow(True)
    comment = _latest_comment(thread)
    if comment is None:
        return PrivateWindow(False, reason="no_comment")
    used = db.session.scalar(
        select(Message.id).where(
            Message.thread_id == thread.id, Message.direction == Direction.OUTBOUND.value,
            Message.visibility == Visibility.PRIVATE.value,
            Message.parent_platform_id == comment.platform_id,
            Message.send_state != SendState.FAILED.value).limit(1))
    if used is not None:
        return PrivateWindow(False, reason="already_used")
    length = _window_length(thread)
    if length is None:
        return PrivateWindow(True)
    expires = comment.platform_created_at + length
    if utcnow() >= expires:
        return PrivateWindow(False, expires_at=expires, reason="expired")
    return PrivateWindow(True, expires_at=expires)


def _template(thread: Thread, key: str, defaults: dict[str, str]) -> str:
    language = thread.language if thread.language in defaults else (
        "fr" if current_app.config.get("DEFAULT_LOCALE") == "fr" else "en")
    custom = ((thread.channel.brand.settings or {}).get(key) or {})
    text = custom.get(language) if isinstance(custom, dict) else None
    return text if isinstance(text, str) and text.strip() else defaults[language]


def _send_private(actor: User, thread: Thread, body: str, key: str) -> Message | None:
    """Queue and send the private message; None when the platform no longer allows one."""
    try:
        message = outbox.queue_reply(actor, thread, body, idempotency_key=key, private=True)
    except outbox.SendRefused as exc:
        raise PrivateRefused(f"send_{exc.code}", "body", exc.detail) from exc
    delivery = outbox.deliver_reply(message)
    if delivery.failure is outbox.SendFailure.PRIVATE_REPLY_UNAVAILABLE:
        return None  # Facebook said no after all: ask to write privately
    if delivery.message.send_state == SendState.FAILED.value:
        raise PrivateRefused("private_failed", "body", delivery.message.send_error)
    return delivery.message


def move_to_private(actor: User, thread: Thread, body: str | None, *, idempotency_key: str,
                    expected_version: int | None = None) -> PrivateMove:
    """Post a public acknowledgement and send the private message (or the fallback)."""
    ack_key, private_key = f"{idempotency_key}:a", f"{idempotency_key}:p"
    done = db.session.scalar(select(Message).filter_by(idempotency_key=ack_key))
    if done is not None:  # the same form submitted twice
        sent = db.session.scalar(select(Message).filter_by(idempotency_key=private_key))
        fell_back = sent is None or sent.send_state == SendState.FAILED.value
        return PrivateMove(None if fell_back else sent, done, fell_back)
    if thread.status == ThreadStatus.CLOSED.value:
        raise PrivateRefused("closed")
    if thread.visibility == Visibility.PRIVATE.value:
        raise PrivateRefused("already_private")
    if expected_version is not None and expected_version != thread.version:
        raise PrivateRefused("stale", detail=thread.version)
    window = private_window(thread)
    body = (body or "").strip()
    private_message: Message | None = None
    if window.available:
        if not body:
            raise PrivateRefused("empty", "body")
        private_message = _send_private(actor, thread, body, private_key)
    fallback = private_message is None
    text = _template(thread, "private_fallback" if fallback else "private_ack",
                     DEFAULT_PRIVATE_FALLBACK if fallback else DEFAULT_PRIVATE_ACK)
    try:
        public = outbox.stage_reply(actor, thread, text, idempotency_key=ack_key,
                                    private=False)
    except outbox.SendRefused as exc:
        db.session.rollback()
        raise PrivateRefused(f"send_{exc.code}", None, exc.detail) from exc
    public.is_acknowledgement = True
    thread.visibility = Visibility.PRIVATE.value
    record(actor, "moved_to_private", "thread", thread.id,
           mode="fallback" if fallback else "private_message",
           private_message_id=private_message.id if private_message else None,
           public_message_id=public.id, window=window.reason)
    bump_version(thread)
    publish_thread_updated(thread)
    db.session.commit()
    public = outbox.deliver(public)
    return PrivateMove(private_message, public, fallback)
