"""A thread's due times, and the one rule for which of them applies now.

A thread has two clocks: the first response is due by ``first_response_due``, then (once an
agent has answered) the resolution by ``resolution_due``. Only an open thread (new, open,
waiting) races against either. ``sla_due`` stores the one that applies, for the inbox's
"time left" sort and the "SLA breached" filter; the ORM's ``before_flush`` hook below keeps
it right whoever changed the thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.models import OPEN_STATUSES, Brand, Thread
from app.models.thread import NO_DUE
from app.sla.policy import Policy, policy_for
from app.sla.targets import due_times
from app.threads.state import ThreadState


class DueKind(StrEnum):
    """Which clock a thread is racing against."""

    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


@dataclass(frozen=True)
class ApplicableDue:
    """The due time that applies to a thread now, and which clock it is."""

    kind: DueKind
    due: datetime


def applicable_due(thread: ThreadState) -> ApplicableDue | None:
    """The due time the thread is racing against now, or None (closed, or no clock set).

    The first response until an agent has answered, then the resolution; only while the
    thread is open (new, open or waiting).
    """
    if thread.status not in OPEN_STATUSES:
        return None
    if thread.first_response_at is None:
        kind, due = DueKind.FIRST_RESPONSE, thread.first_response_due
    else:
        kind, due = DueKind.RESOLUTION, thread.resolution_due
    return ApplicableDue(kind, due) if due is not None else None


def current_due(thread: ThreadState) -> datetime:
    """``applicable_due``'s time, or ``NO_DUE`` (sorts after every real due time)."""
    found = applicable_due(thread)
    return found.due if found is not None else NO_DUE


def apply_due_times(thread: ThreadState, brand: Brand | None, segment: str,
                    received_at: datetime, policy: Policy | None = None) -> None:
    """Set the thread's first-response and resolution due times from its priority.

    ``policy`` is ``policy_for(brand)`` when the caller already has it (ingest, per page).
    A first response already given keeps its due time (it is history by then).
    """
    calendars, targets = policy or policy_for(brand)
    first, resolution = due_times(received_at, segment, thread.priority, calendars, targets)
    if thread.first_response_at is None:
        thread.first_response_due = first
    thread.resolution_due = resolution
    thread.sla_due = current_due(thread)


@event.listens_for(Session, "before_flush")
def _keep_sla_due(session: Session, _context: object, _instances: object) -> None:
    # One place keeps the derived sort column right, whoever changed the thread.
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Thread):
            due = current_due(obj)
            if obj.sla_due != due:
                obj.sla_due = due


__all__ = ["NO_DUE", "ApplicableDue", "DueKind", "applicable_due", "apply_due_times",
           "current_due"]
