"""The inbox colour of an SLA clock: time left and its state (pure Python)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from app.sla.blocks import as_utc, check_duration
from app.sla.calendar import BusinessCalendar

__all__ = ["SlaState", "sla_state", "time_left"]

SlaState = Literal["ok", "warning", "breached"]


def time_left(due: datetime, now: datetime, calendar: BusinessCalendar | None = None) -> timedelta:
    """Time left until ``due`` (negative once overdue).

    Wall-clock time by default, which sorts the inbox exactly like the due times do. With a
    ``calendar`` it is business time, so a ticket due Monday 09:30 seen on Friday 17:50 shows
    40 minutes rather than 64 hours.
    """
    due_utc = as_utc(due, "due")
    now_utc = as_utc(now, "now")
    if calendar is None:
        return due_utc - now_utc
    return calendar.business_time_between(now_utc, due_utc)


def sla_state(
    due: datetime,
    now: datetime,
    target: timedelta | None = None,
    *,
    warn_ratio: float = 0.25,
    warn_before: timedelta = timedelta(minutes=15),
    calendar: BusinessCalendar | None = None,
) -> SlaState:
    """Colour of an SLA clock: "breached" once ``now`` reaches ``due``, "warning" when less
    than ``warn_before`` (15 min) or less than ``warn_ratio`` (25 %) of ``target`` is left,
    "ok" otherwise.

    ``target`` is the full SLA duration the due time was computed from; without it only the
    fixed ``warn_before`` applies. With a ``calendar`` the time left is business time, which
    matches a target expressed in business time.
    """
    if not 0 <= warn_ratio <= 1:
        raise ValueError(f"warn_ratio must be between 0 and 1, got {warn_ratio!r}")
    check_duration(warn_before, "warn_before")
    if target is not None:
        check_duration(target, "target")
    if as_utc(now, "now") >= as_utc(due, "due"):
        return "breached"
    left = time_left(due, now, calendar)
    threshold = warn_before
    if target is not None:
        threshold = max(threshold, target * warn_ratio)
    return "warning" if left < threshold else "ok"
