"""The brand's SLA policy: its calendars and targets (settings, or the seeds' defaults)."""

from __future__ import annotations

import functools
import json
from typing import Any

from app.models import Brand
from app.sla.calendar import DEFAULT_CALENDARS, BusinessCalendar
from app.sla.targets import DEFAULT_SLA_TARGETS, SlaTargets

#: A brand's business calendars (per segment) and SLA targets.
Policy = tuple[dict[str, BusinessCalendar], SlaTargets]


@functools.lru_cache(maxsize=32)
def _parse(calendars_json: str, targets_json: str) -> Policy:
    # Parsing calendars builds holiday tables: cache per distinct brand setting.
    calendars = dict(DEFAULT_CALENDARS)
    for segment, data in json.loads(calendars_json).items():
        calendars[segment] = BusinessCalendar.from_dict(data)
    targets_data = json.loads(targets_json)
    targets = SlaTargets.from_dict(targets_data) if targets_data else DEFAULT_SLA_TARGETS
    return calendars, targets


def policy_for(brand: Brand | None) -> Policy:
    """The calendars (per segment) and SLA targets of a brand."""
    return policy_for_settings(brand.settings if brand is not None else None)


def policy_for_settings(settings: dict[str, Any] | None) -> Policy:
    """The calendars (per segment) and SLA targets of a brand's settings."""
    settings = settings or {}
    return _parse(json.dumps(settings.get("calendars", {}), sort_keys=True),
                  json.dumps(settings.get("sla_targets", {}), sort_keys=True))
