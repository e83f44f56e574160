"""Use cases of the inbox: claim, assign, status, close as abusive, bulk, move to private.

Each use case changes the thread, bumps its version (stale detection), records an audit
event, publishes ``thread.updated`` and commits once; helpers only flush.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from app.audit import record
from app.channels import services as channel_services
from app.extensions import db
from app.models import (
    Direction,
    Message,
    Role,
    SavedView,
    SendState,
    Thread,
    ThreadStatus,
    Ticket,
    TicketStatus,
    User,
    Visibility,
    utcnow,
)
from app.outbox import services as outbox
from app.realtime.publish import INBOX_ROOM, publish
from app.sla.targets import escalation_due
from app.threads import assign as assign_thread
from app.threads import bump_version, publish_thread_updated, set_status, take

ASSIGNERS = (Role.SUPERVISOR.value, Role.ADMIN.value)
CARE = (Role.AGENT.value, Role.SUPERVISOR.value, Role.ADMIN.value)
STATUSES = tuple(s.value for s in ThreadStatus)
BULK_ACTIONS = ("claim", "assign", "resolve", "close")
BULK_MAX = 200
CLOSE_ABUSIVE = "abusive"

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


class ActionError(ValueError):
    """A refused action; ``code`` picks the message shown, ``field`` where it is shown."""

    def __init__(self, code: str, field: str | None = None, detail: Any = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.detail = detail


# --- helpers (flush, never commit) ------------------------------------------------------

def _check_version(thread: Thread, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != thread.version:
        raise ActionError("stale", detail=thread.version)


def _touch(thread: Thread) -> None:
    bump_version(thread)
    publish_thread_updated(thread)


def _claim(actor: User, thread: Thread) -> bool:
    if thread.status == ThreadStatus.CLOSED.value:
        raise ActionError("closed")
    previous = thread.assignee_id
    if previous == actor.id and thread.status == ThreadStatus.OPEN.value:
        return False
    old_status = thread.status
    take(thread, actor.id)
    record(actor, "taken_over" if previous not in (None, actor.id) else "claimed", "thread",
           thread.id, from_assignee_id=previous, from_status=old_status)
    _touch(thread)
    return True


def _assign(actor: User, thread: Thread, assignee: User | None) -> bool:
    if actor.role not in ASSIGNERS:
        raise ActionError("forbidden")
    new_id = assignee.id if assignee is not None else None
    if thread.assignee_id == new_id:
        return False
    previous = thread.assignee_id
    assign_thread(thread, new_id)
    record(actor, "assigned", "thread", thread.id, from_assignee_id=previous,
           to_assignee_id=new_id, to_name=assignee.name if assignee else None)
    _touch(thread)
    return True


def _set_status(actor: User, thread: Thread, status: str, *, reason: str | None = None,
                action: str = "status_changed") -> bool:
    if status not in STATUSES:
        raise ActionError("bad_status", "status")
    if thread.status == status and (reason is None or thread.close_reason == reason):
        return False
    old = thread.status
    set_status(thread, status, utcnow(), reason)
    record(actor, action, "thread", thread.id, from_status=old, to_status=status,
           reason=reason)
    _touch(thread)
    return True


def care_user(user_id: int | str | None) -> User | None:
    """An active care user by id, or None (unknown, inactive or brand team)."""
    if user_id in (None, ""):
        return None
    try:
        user = db.session.get(User, int(user_id))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if user is None or not user.active or user.role not in CARE:
        return None
    return user


# --- use cases ---------------------------------------------------------------------------

def claim(actor: User, thread: Thread, expected_version: int | None = None) -> bool:
    """The agent takes the thread: assignee is them, status open. False when nothing changed."""
    _check_version(thread, expected_version)
    changed = _claim(actor, thread)
    db.session.commit()
    return changed


def assign(actor: User, thread: Thread, assignee_id: str | int | None,
           expected_version: int | None = None) -> bool:
    """Give the thread to an agent (supervisors, admins); an empty id unassigns."""
    _check_version(thread, expected_version)
    assignee = care_user(assignee_id)
    if assignee_id not in (None, "") and assignee is None:
        raise ActionError("bad_assignee", "assignee")
    changed = _assign(actor, thread, assignee)
    db.session.commit()
    return changed


def change_status(actor: User, thread: Thread, status: str,
                  expected_version: int | None = None) -> bool:
    """Move the thread to another status; ``resolved`` stamps ``resolved_at``."""
    if status not in STATUSES:
        raise ActionError("bad_status", "status")
    _check_version(thread, expected_version)
    changed = _set_status(actor, thread, status)
    db.session.commit()
    return changed


def close_abusive(actor: User, thread: Thread, expected_version: int | None = None) -> bool:
    """End an exchange that turned to insults: closed, reason "abusive"."""
    _check_version(thread, expected_version)
    changed = _set_status(actor, thread, ThreadStatus.CLOSED.value, reason=CLOSE_ABUSIVE,
                          action="closed_abusive")
    db.session.commit()
    return changed


@dataclass(frozen=True)
class BulkReport:
    """What a bulk action did: threads changed, unchanged and refused (closed...)."""

    changed: int
    unchanged: int
    refused: int


def parse_ids(raw: list[str]) -> list[int]:
    """Thread ids from the ticked boxes; raises ActionError on anything else."""
    if not raw:
        raise ActionError("no_selection")
    if len(raw) > BULK_MAX:
        raise ActionError("too_many", detail=BULK_MAX)
    ids: list[int] = []
    for value in raw:
        if not value.isdigit() or len(value) > 9:
            raise ActionError("bad_selection")
        ids.append(int(value))
    return sorted(set(ids))


def bulk(actor: User, action: str, thread_ids: list[int],
         assignee_id: str | None = None) -> BulkReport:
    """Apply one action to several threads, in one transaction."""
    if action not in BULK_ACTIONS:
        raise ActionError("bad_action", "action")
    if action == "assign" and actor.role not in ASSIGNERS:
        raise ActionError("forbidden")
    assignee = care_user(assignee_id) if action == "assign" else None
    if action == "assign" and assignee_id not in (None, "") and assignee is None:
        raise ActionError("bad_assignee", "assignee")
    threads = list(db.session.scalars(db.select(Thread).where(Thread.id.in_(thread_ids))
                                      .order_by(Thread.id)))
    if len(threads) != len(thread_ids):
        raise ActionError("unknown_threads")
    changed = unchanged = refused = 0
    for thread in threads:
        try:
            if action == "claim":
                done = _claim(actor, thread)
            elif action == "assign":
                done = _assign(actor, thread, assignee)
            elif action == "resolve":
                done = _set_status(actor, thread, ThreadStatus.RESOLVED.value)
            else:
                done = _set_status(actor, thread, ThreadStatus.CLOSED.value)
        except ActionError:
            refused += 1
            continue
        changed += int(done)
        unchanged += int(not done)
    db.session.commit()
    return BulkReport(changed, unchanged, refused)


# --- move to private ---------------------------------------------------------------------

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


def _window_length(thread: Thread) -> timedelta | None:
    try:
        return channel_services.connector_for(thread.channel).private_reply_window
    except Exception:  # no credentials or library here: the network's known rule
        from connectors.registry import _REGISTRY, _load

        if _load(thread.channel.network) is None:
            return getattr(_REGISTRY[thread.channel.network], "private_reply_window", None)
        return timedelta(days=7) if thread.channel.network == "facebook" else None


def _latest_comment(thread: Thread) -> Message | None:
    return db.session.scalar(
        db.select(Message).where(Message.thread_id == thread.id,
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
        db.select(Message.id).where(
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


@dataclass(frozen=True)
class PrivateMove:
    """The outcome: the private message (None on fallback) and the public message."""

    private_message: Message | None
    public_message: Message
    fallback: bool


def move_to_private(actor: User, thread: Thread, body: str | None, *, idempotency_key: str,
                    expected_version: int | None = None) -> PrivateMove:
    """Post a public acknowledgement and send the private message (or the fallback).

    When Facebook no longer allows a private reply (7 days passed, or one was sent), a
    public message asks the customer to write to the page privately instead.
    """
    ack_key, private_key = f"{idempotency_key}:a", f"{idempotency_key}:p"
    done = db.session.scalar(db.select(Message).filter_by(idempotency_key=ack_key))
    if done is not None:  # the same form submitted twice
        sent = db.session.scalar(db.select(Message).filter_by(idempotency_key=private_key))
        fell_back = sent is None or sent.send_state == SendState.FAILED.value
        return PrivateMove(None if fell_back else sent, done, fell_back)
    if thread.status == ThreadStatus.CLOSED.value:
        raise ActionError("closed")
    if thread.visibility == Visibility.PRIVATE.value:
        raise ActionError("already_private")
    _check_version(thread, expected_version)
    window = private_window(thread)
    body = (body or "").strip()
    private_message: Message | None = None
    fallback = not window.available
    if not fallback:
        if not body:
            raise ActionError("empty", "body")
        try:
            private_message = outbox.queue_reply(actor, thread, body,
                                                 idempotency_key=private_key, private=True)
        except outbox.SendRefused as exc:
            raise ActionError(f"send_{exc.code}", "body", exc.detail) from exc
        private_message = outbox.deliver(private_message)
        if private_message.send_state == SendState.FAILED.value:
            if "private reply unavailable" not in (private_message.send_error or ""):
                raise ActionError("private_failed", "body", private_message.send_error)
            fallback = True  # Facebook said no after all: ask to write privately
    text = _template(thread, "private_fallback" if fallback else "private_ack",
                     DEFAULT_PRIVATE_FALLBACK if fallback else DEFAULT_PRIVATE_ACK)
    try:
        public = outbox.queue_reply(actor, thread, text, idempotency_key=ack_key,
                                    private=False)
    except outbox.SendRefused as exc:
        raise ActionError(f"send_{exc.code}", None, exc.detail) from exc
    public.is_acknowledgement = True
    thread.visibility = Visibility.PRIVATE.value
    record(actor, "moved_to_private", "thread", thread.id,
           mode="fallback" if fallback else "private_message",
           private_message_id=private_message.id if private_message else None,
           public_message_id=public.id, window=window.reason)
    _touch(thread)
    db.session.commit()
    public = outbox.deliver(public)
    return PrivateMove(None if fallback else private_message, public, fallback)


# --- saved views -------------------------------------------------------------------------

def save_view(actor: User, name: str, query: str) -> SavedView:
    """Save (or replace) the user's view of that name."""
    from urllib.parse import parse_qsl

    from werkzeug.datastructures import MultiDict

    from app.inbox.queries import InboxFilters

    name = " ".join((name or "").split())
    if not name:
        raise ActionError("empty_name", "name")
    if len(name) > 80:
        raise ActionError("long_name", "name")
    filters = InboxFilters.from_args(MultiDict(parse_qsl(query or "")), me=actor.id)
    if filters.errors:
        raise ActionError("bad_query", "name", ", ".join(filters.errors))
    view = db.session.scalar(db.select(SavedView).filter_by(user_id=actor.id, name=name))
    if view is None:
        view = SavedView(user_id=actor.id, name=name)
        db.session.add(view)
    view.query = filters.to_query()
    db.session.commit()
    return view


def delete_view(actor: User, view: SavedView) -> None:
    """Delete one of the user's own views."""
    if view.user_id != actor.id:
        raise ActionError("not_yours")
    db.session.delete(view)
    db.session.commit()


# --- tickets from the console ------------------------------------------------------------

TICKET_STATUSES = (TicketStatus.OPEN.value, TicketStatus.PENDING.value,
                   TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value)


def change_ticket_status(actor: User, ticket: Ticket, status: str) -> bool:
    """Set a ticket's status; reopening restarts its escalation clock."""
    if status not in TICKET_STATUSES:
        raise ActionError("bad_status", "status")
    if ticket.status == status:
        return False
    old = ticket.status
    ticket.status = status
    now = utcnow()
    if status in (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value):
        ticket.resolved_at = ticket.resolved_at or now
    else:
        ticket.resolved_at = None
        cfg = current_app.config
        ticket.escalate_at = escalation_due(
            now, ticket.segment, private_days=cfg["ESCALATE_PRIVATE_DAYS"],
            professional_days=cfg["ESCALATE_PROFESSIONAL_DAYS"])
    record(actor, "ticket_status_changed", "ticket", ticket.id, from_status=old,
           to_status=status, tracking_number=ticket.tracking_number)
    db.session.flush()
    publish("ticket.updated", {"id": ticket.id, "status": ticket.status,
                               "tracking_number": ticket.tracking_number}, INBOX_ROOM)
    db.session.commit()
    return True


def tickets_of_author(author_id: int) -> list[Ticket]:
    """Open or closed tickets gathering threads of this author (for "attach")."""
    from app.inbox.queries import author_tickets

    return author_tickets(author_id)
