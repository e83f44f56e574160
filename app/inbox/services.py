"""Use cases of the inbox: claim, assign, status, close as abusive, bulk, move to private.

Each use case changes the thread, bumps its version (stale detection), records an audit
event, publishes ``thread.updated`` and commits once; helpers only flush.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import select

from app.audit import record
from app.extensions import db
from app.models import (
    Role,
    SavedView,
    Thread,
    ThreadStatus,
    User,
    utcnow,
)
from app.threads import assign as assign_thread
from app.threads import bump_version, publish_thread_updated, set_status, take

ASSIGNERS = (Role.SUPERVISOR.value, Role.ADMIN.value)
CARE = (Role.AGENT.value, Role.SUPERVISOR.value, Role.ADMIN.value)
STATUSES = tuple(s.value for s in ThreadStatus)
BULK_ACTIONS = ("claim", "assign", "resolve", "close")
BULK_MAX = 200
CLOSE_ABUSIVE = "abusive"

P = ParamSpec("P")
R = TypeVar("R")

class ActionError(ValueError):
    """A refused action; ``code`` picks the message shown, ``field`` where it is shown."""

    def __init__(self, code: str, field: str | None = None, detail: Any = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
        self.detail = detail


def use_case(run: Callable[P, R]) -> Callable[P, R]:
    """A use case owns its transaction: a refusal leaves nothing of it in the session."""
    @functools.wraps(run)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return run(*args, **kwargs)
        except ActionError:
            db.session.rollback()
            raise
    return wrapper


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
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    if user is None or not user.active or user.role not in CARE:
        return None
    return user


# --- use cases ---------------------------------------------------------------------------

@use_case
def claim(actor: User, thread: Thread, expected_version: int | None = None) -> bool:
    """The agent takes the thread: assignee is them, status open. False when nothing changed."""
    _check_version(thread, expected_version)
    changed = _claim(actor, thread)
    db.session.commit()
    return changed


@use_case
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


@use_case
def change_status(actor: User, thread: Thread, status: str,
                  expected_version: int | None = None) -> bool:
    """Move the thread to another status; ``resolved`` stamps ``resolved_at``."""
    if status not in STATUSES:
        raise ActionError("bad_status", "status")
    _check_version(thread, expected_version)
    changed = _set_status(actor, thread, status)
    db.session.commit()
    return changed


@use_case
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


@use_case
def bulk(actor: User, action: str, raw_ids: list[str],
         assignee_id: str | None = None) -> BulkReport:
    """Apply one action to the ticked threads (``raw_ids`` as the form sent them), in one
    transaction."""
    thread_ids = parse_ids(raw_ids)
    if action not in BULK_ACTIONS:
        raise ActionError("bad_action", "action")
    if action == "assign" and actor.role not in ASSIGNERS:
        raise ActionError("forbidden")
    assignee = care_user(assignee_id) if action == "assign" else None
    if action == "assign" and assignee_id not in (None, "") and assignee is None:
        raise ActionError("bad_assignee", "assignee")
    threads = list(db.session.scalars(select(Thread).where(Thread.id.in_(thread_ids))
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


# --- saved views -------------------------------------------------------------------------

@use_case
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
    view = db.session.scalar(select(SavedView).filter_by(user_id=actor.id, name=name))
    if view is None:
        view = SavedView(user_id=actor.id, name=name)
        db.session.add(view)
    view.query = filters.to_query()
    db.session.commit()
    return view


@use_case
def delete_view(actor: User, view: SavedView) -> None:
    """Delete one of the user's own views."""
    if view.user_id != actor.id:
        raise ActionError("not_yours")
    db.session.delete(view)
    db.session.commit()
