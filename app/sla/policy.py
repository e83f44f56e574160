"""The brand's SLA policy: its calendars and targets (settings, or the seeds' defaults)."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

from app.models import Brand, Thread
from app.sla.calendar import (
    DEFAULT_CALENDARS,
    DEFAULT_SLA_TARGETS,
    BusinessCalendar,
    SlaTargets,
    due_times,
)


@functools.lru_cache(maxsize=32)
def _parse(calendars_json: str, targets_json: str) -> tuple[dict[str, BusinessCalendar],
                                                            SlaTargets]:
    # Parsing calendars builds holiday tables: cache per distinct brand setting.
    calendars = dict(DEFAULT_CALENDARS)
    for segment, data in json.loads(calendars_json).items():
        calendars[segment] = BusinessCalendar.from_dict(data)
    targets_data = json.loads(targets_json)
    targets = SlaTargets.from_dict(targets_data) if targets_data else DEFAULT_SLA_TARGETS
    return calendars, targets


def policy_for(brand: Brand | None) -> tuple[dict[str, BusinessCalendar], SlaTargets]:
    """The calendars (per segment) and SLA targets of a brand."""
    return policy_for_settings(brand.settings if brand is not None else None)


def policy_for_settings(settings: dict[str, Any] | None
                        ) -> tuple[dict[str, BusinessCalendar], SlaTargets]:
    """The calendars (per segment) and SLA targets of a brand's settings."""
    settings = settings or {}
    return _parse(json.dumps(settings.get("calendars", {}), sort_keys=True),
                  json.dumps(settings.get("sla_targets", {}), sort_keys=True))


def apply_due_times(thread: Thread, brand: Brand | None, segment: str,
                    received_at: datetime,
                    policy: tuple[dict[str, BusinessCalendar], SlaTargets] | None = None) -> None:
    """Set the thread's first-response and resolution due times from its priority.

    ``policy`` is ``policy_for(brand)`` when the caller already has it (ingest, per page).
    """
    calendars, targets = policy or policy_for(brand)
    first, resolution = due_times(received_at, segment, thread.priority, calendars, targets)
    if thread.first_response_at is None:
        thread.first_response_due = first
    thread.resolution_due = resolution
