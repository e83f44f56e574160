"""Reply use cases: queue (store, commit), deliver (claim, send, record), reconcile, retry.

A reply is a row before it is a post: the row is committed as ``pending`` first, each send
attempt is claimed with a conditional UPDATE (so two workers never send the same row), a
timeout leaves it ``unknown`` and only reading the platform back decides whether it went out.
Nothing is ever re-sent while its fate is unknown: a reply is posted once.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from app.audit import record
from app.channels.services import connector_for
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
from app.outbox.composer import check_draft
from app.realtime.publish import INBOX_ROOM, publish, thread_room
from app.threads import bump_version, record_reply_sent, thread_summary
from connectors.base import (
    ConnectorError,
    PrivateReplyUnavailable,
    RateLimited,
    SendResult,
    SendTimeout,
)

log = logging.getLogger("care.outbox")

#: Longer than a send can take (connector timeout 10 s), so an in-flight send is never judged.
RECONCILE_AFTER = timedelta(seconds=60)
#: A reply still ``pending`` this long after it was stored was left by a process that stopped
#: between storing and claiming it (a send claims within milliseconds): the job sends it.
PENDING_AFTER = timedelta(seconds=30)
#: Past this, an orphaned reply is no longer sent on its own (the conversation has moved on):
#: it is marked failed with the reason, and a person decides with the page's retry.
PENDING_GIVE_UP = timedelta(minutes=10)


class SendRefused(ValueError):
    """A reply that may not be sent; ``code`` says why, ``detail`` carries data for the page."""

    def __init__(self, code: str, detail: object = None) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def new_idempotency_key() -> str:
    """A key for one composer form: submitting it twice sends one reply."""
    return secrets.token_urlsafe(18)


def _reply_target(thread: Thread) -> Message | None:
    stmt = (select(Message)
            .where(Message.thread_id == thread.id,
                   Message.direction == Direction.INBOUND.value,
                   Message.platform_id.is_not(None))
            .order_by(Message.platform_created_at.desc(), Message.id.desc()).limit(1))
    return db.session.scalar(stmt)


class SendFailure(StrEnum):
    """Why a send did not go out, as the outbox saw it (the message keeps a readable text)."""

    #: No answer in time: the reply's fate is unknown until the platform is read back.
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    #: Facebook no longer allows a private reply to that comment (7 days, or one was sent).
    PRIVATE_REPLY_UNAVAILABLE = "private_reply_unavailable"
    PLATFORM_ERROR = "platform_error"
    UNEXPECTED = "unexpected"


@dataclass(frozen=True)
class Delivery:
    """The outcome of one delivery: the message as it stands, and why it did not go out."""

    message: Message
    failure: SendFailure | None = None


def queue_reply(actor: User, thread: Thread, body: str, *, idempotency_key: str,
                private: bool = False, expected_version: int | None = None) -> Message:
    """Use case: store a reply as pending and commit (a reply is a row before it is a post);
    refuses empty, too long, PII in public, stale."""
    message = stage_reply(actor, thread, body, idempotency_key=idempotency_key,
                          private=private, expected_version=expected_version)
    db.session.commit()
    return message


def stage_reply(actor: User, thread: Thread, body: str, *, idempotency_key: str,
                private: bool = False, expected_version: int | None = None) -> Message:
    """Add a pending reply to the session (flushed, not committed): ``queue_reply`` without
    its commit, for a use case that stores more in the same transaction."""
    existing = db.session.scalar(select(Message).filter_by(idempotency_key=idempotency_key))
    if existing is not None:
        return existing  # the same form submitted twice: one reply
    if not idempotency_key or len(idempotency_key) > 64:
        raise SendRefused("bad_key")
    if not body or not body.strip():
        raise SendRefused("empty")
    if expected_version is not None and expected_version != thread.version:
        raise SendRefused("stale", thread.version)
    if thread.status == ThreadStatus.CLOSED.value:
        raise SendRefused("closed")
    channel = thread.channel
    check = check_draft(channel.network, body, handle=thread.author.handle,
                        signature=actor.display_signature, public=not private)
    if check.too_long:
        raise SendRefused("too_long", check)
    if check.pii:
        raise SendRefused("personal_data", check)
    target = _reply_target(thread)
    if target is None and not private:
        raise SendRefused("nothing_to_answer")
    message = Message(
        thread=thread, channel_id=channel.id, direction=Direction.OUTBOUND.value,
        kind="dm" if private else "reply",
        visibility=Visibility.PRIVATE.value if private else Visibility.PUBLIC.value,
        text=check.text, agent_id=actor.id, platform_created_at=utcnow(),
        received_at=utcnow(), send_state=SendState.PENDING.value,
        idempotency_key=idempotency_key,
        parent_platform_id=target.platform_id if target else None,
    )
    db.session.add(message)
    bump_version(thread)
    db.session.flush()
    record(actor, "reply_queued", "thread", thread.id, message_id=message.id,
           visibility=message.visibility)
    _claim_on_reply(actor, thread)
    db.session.flush()
    return message


def _claim_on_reply(actor: User, thread: Thread) -> None:
    # Whoever answers an unassigned thread owns it: the team sees it is taken without a
    # separate "claim" click. A thread already given to someone stays theirs.
    if thread.assignee_id is not None:
        return
    old_status = thread.status
    thread.assignee_id = actor.id
    if thread.status == ThreadStatus.NEW.value:
        thread.status = ThreadStatus.OPEN.value
    record(actor, "claimed", "thread", thread.id, from_assignee_id=None,
           from_status=old_status, on_reply=True)


def _claim(message: Message) -> bool:
    # Exactly one worker wins: the UPDATE matches only a pending row. The row is "unknown"
    # from here until the platform answers, so a crash mid-send is settled by reading the
    # platform back, never by sending again.
    # An UPDATE's result is a CursorResult (rowcount), which Session.execute's hints omit.
    result = cast(CursorResult[Any], db.session.execute(
        update(Message)
        .where(Message.id == message.id, Message.send_state == SendState.PENDING.value)
        .values(send_state=SendState.UNKNOWN.value, send_attempts=Message.send_attempts + 1)
    ))
    db.session.commit()
    return result.rowcount == 1


def _send(message: Message) -> SendResult:
    thread = message.thread
    connector = connector_for(thread.channel)
    if message.visibility == Visibility.PRIVATE.value:
        comment_id = message.parent_platform_id if thread.channel.network == "facebook" \
            else None
        recipient = None if comment_id else thread.author.platform_id
        return connector.send_private(recipient_id=recipient, text=message.text,
                                      comment_id=comment_id)
    return connector.reply_public(message.parent_platform_id or "", message.text)


def _mark_sent(message: Message, result: SendResult) -> None:
    message.send_state = SendState.SENT.value
    message.platform_id = result.platform_id
    message.url = result.url
    message.sent_at = result.sent_at
    # The page lists a thread in the platform's order: a reply takes its place when posted.
    message.platform_created_at = result.sent_at
    message.send_error = None
    record_reply_sent(message.thread, result.sent_at)
    bump_version(message.thread)
    _announce(message)


def _announce(message: Message) -> None:
    thread = message.thread
    publish("message.updated", {"thread_id": thread.id, "message_id": message.id,
                                "send_state": message.send_state,
                                "error": message.send_error}, thread_room(thread.id))
    publish("thread.updated", thread_summary(thread), INBOX_ROOM)


def deliver(message: Message) -> Message:
    """Send a pending reply once; records sent, unknown (timeout) or failed with the reason."""
    return deliver_reply(message).message


def deliver_reply(message: Message) -> Delivery:
    """``deliver``, telling why a send did not go out (``Delivery.failure``)."""
    if message.send_state != SendState.PENDING.value or not _claim(message):
        db.session.refresh(message)
        return Delivery(message)
    db.session.refresh(message)
    failure: SendFailure
    try:
        result = _send(message)
    except SendTimeout as exc:
        failure = SendFailure.TIMEOUT
        message.send_state = SendState.UNKNOWN.value
        message.send_error = f"no answer from the platform ({exc}); checking before any retry"
    except RateLimited as exc:
        failure = SendFailure.RATE_LIMITED
        message.send_state = SendState.FAILED.value
        until = exc.reset_at.isoformat() if exc.reset_at else f"{exc.retry_after:.0f}s"
        message.send_error = f"rate limited by the platform until {until}"
    except PrivateReplyUnavailable as exc:
        failure = SendFailure.PRIVATE_REPLY_UNAVAILABLE
        message.send_state = SendState.FAILED.value
        message.send_error = f"private reply unavailable: {exc.reason}"
    except ConnectorError as exc:
        failure = SendFailure.PLATFORM_ERROR
        message.send_state = SendState.FAILED.value
        message.send_error = f"{type(exc).__name__}: {exc}"[:500]
    except Exception as exc:  # unknown failure: we cannot tell whether it was posted
        log.exception("send of message %s failed", message.id)
        failure = SendFailure.UNEXPECTED
        message.send_state = SendState.UNKNOWN.value
        message.send_error = f"unexpected error ({type(exc).__name__}); checking before retry"
    else:
        _mark_sent(message, result)
        record(message.agent, "reply_sent", "thread", message.thread_id, message_id=message.id,
               visibility=message.visibility)
        db.session.commit()
        return Delivery(message)
    _announce(message)
    db.session.commit()
    return Delivery(message, failure)


def reply(actor: User, thread: Thread, body: str, *, idempotency_key: str,
          private: bool = False, expected_version: int | None = None) -> Message:
    """Use case of the composer: refused while another agent holds the thread's reply lock;
    otherwise the reply is queued, sent once, and the author's lock released."""
    from app.realtime import services as live
    from app.realtime.presence import PresenceUnavailable

    try:
        holder = live.lock_holder(thread.id)
    except PresenceUnavailable:
        # The lock's store is away. The thread row's own version still tells whether anyone
        # changed the thread since this draft's page was loaded (the check in stage_reply);
        # without it nothing protects the thread: refuse, the draft is kept.
        if expected_version is None:
            raise SendRefused("lock_unavailable") from None
        log.warning("reply lock of thread %s unknown (store away); sending on the thread's "
                    "version %s", thread.id, expected_version)
        holder = None
    if holder and holder["user_id"] != actor.id:
        # Two agents never answer the same thread by accident: take over first.
        raise SendRefused("locked", holder)
    message = queue_reply(actor, thread, body, idempotency_key=idempotency_key,
                          private=private, expected_version=expected_version)
    message = deliver(message)
    live.release_lock(thread.id, actor.id)  # the lock ends when the reply is sent
    return message


def reconcile(message: Message) -> Message:
    """Settle an ``unknown`` reply by reading the platform back; never re-sends."""
    if message.send_state != SendState.UNKNOWN.value:
        return message
    thread = message.thread
    private = message.visibility == Visibility.PRIVATE.value
    try:
        found = connector_for(thread.channel).find_sent(
            message.parent_platform_id, message.text,
            since=message.received_at - timedelta(minutes=5), private=private,
            recipient_id=thread.author.platform_id if private else None)
    except ConnectorError as exc:
        log.info("reconcile of message %s postponed: %s", message.id, exc)
        return message
    if found is not None:
        _mark_sent(message, found)
        record(None, "reply_reconciled", "thread", thread.id, message_id=message.id,
               visibility=message.visibility)
    else:
        message.send_state = SendState.FAILED.value
        message.send_error = "the platform has no trace of this reply; it can be sent again"
        _announce(message)
    db.session.commit()
    return message


def retry(actor: User, message: Message) -> Message:
    """The retry action: settle an unknown reply first; re-send only a failed one."""
    if message.send_state == SendState.UNKNOWN.value:
        message = reconcile(message)
    if message.send_state != SendState.FAILED.value:
        return message
    moved = cast(CursorResult[Any], db.session.execute(
        update(Message).where(Message.id == message.id,
                              Message.send_state == SendState.FAILED.value)
        .values(send_state=SendState.PENDING.value, send_error=None)))
    record(actor, "reply_retried", "thread", message.thread_id, message_id=message.id)
    db.session.commit()
    if moved.rowcount != 1:
        return message
    db.session.refresh(message)
    return deliver(message)


def reconcile_unknown(older_than: timedelta = RECONCILE_AFTER,
                      pending_after: timedelta = PENDING_AFTER,
                      give_up_after: timedelta = PENDING_GIVE_UP) -> int:
    """Job: settle every reply left unknown for a while, and every reply orphaned as
    ``pending``; returns how many were looked at."""
    cutoff = utcnow() - older_than
    ids = list(db.session.scalars(select(Message.id).where(
        Message.send_state == SendState.UNKNOWN.value, Message.received_at <= cutoff)))
    for message_id in ids:
        message = db.session.get(Message, message_id)
        if message is not None:
            reconcile(message)
    return len(ids) + settle_orphans(pending_after, give_up_after)


def settle_orphans(pending_after: timedelta = PENDING_AFTER,
                   give_up_after: timedelta = PENDING_GIVE_UP) -> int:
    """Replies stored but never claimed (their process stopped in between): recent ones are
    sent now, claimed by the same conditional UPDATE as any send, so exactly once and with
    their own idempotency key; older ones are marked failed for a person to decide."""
    now = utcnow()
    ids = list(db.session.scalars(select(Message.id).where(
        Message.send_state == SendState.PENDING.value,
        Message.received_at <= now - pending_after).order_by(Message.id)))
    for message_id in ids:
        message = db.session.get(Message, message_id)
        if message is None:
            continue
        if message.received_at > now - give_up_after:
            log.warning("reply %s was left pending; sending it now", message.id)
            deliver(message)
            continue
        moved = cast(CursorResult[Any], db.session.execute(
            update(Message).where(Message.id == message.id,
                                  Message.send_state == SendState.PENDING.value)
            .values(send_state=SendState.FAILED.value,
                    send_error="never sent: the console stopped before sending it; "
                               "send it again if it still fits the conversation")))
        if moved.rowcount == 1:
            db.session.refresh(message)
            record(None, "reply_orphaned", "thread", message.thread_id, message_id=message.id)
            _announce(message)
        db.session.commit()
    return len(ids)
