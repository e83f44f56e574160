"""SLA targets: priority bands, the first-response and resolution targets per segment and
band, the due times they give in business hours, and tickets' escalation (pure Python)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from app.sla.blocks import PRIVATE, PROFESSIONAL, as_utc
from app.sla.calendar import DEFAULT_CALENDARS, BusinessCalendar

__all__ = ["BAND_THRESHOLDS", "DEFAULT_SLA_TARGETS", "PRIORITY_BANDS", "SlaTargets",
           "due_times", "escalation_due", "priority_band"]

PRIORITY_BANDS: tuple[str, ...] = ("urgent", "high", "normal", "low")

# Lower bound (inclusive) of each band on the 0..100 priority scale; below 25 is "low".
BAND_THRESHOLDS: Mapping[str, float] = MappingProxyType(
    {"urgent": 75.0, "high": 50.0, "normal": 25.0}
)
_BANDS_DESCENDING: tuple[tuple[str, float], ...] = tuple(BAND_THRESHOLDS.items())


def priority_band(priority: float) -> str:
    """Band of a 0..100 priority: >=75 urgent, >=50 high, >=25 normal, else low.

    Values outside 0..100 are clamped (a scoring glitch must not stop a ticket from getting
    a due time); NaN raises ``ValueError``.
    """
    # Scores come as in-range floats (ingest computes one per new thread): they skip the
    # checks and the clamp, which NaN and anything else still go through.
    if type(priority) is float and 0.0 <= priority <= 100.0:
        value = priority
    else:
        if isinstance(priority, bool) or not isinstance(priority, int | float):
            raise ValueError(f"priority must be a number from 0 to 100, got {priority!r}")
        if math.isnan(priority):
            raise ValueError("priority must be a number from 0 to 100, got NaN")
        value = min(max(float(priority), 0.0), 100.0)
    for band, threshold in _BANDS_DESCENDING:
        if value >= threshold:
            return band
    return "low"


TargetTable = Mapping[str, Mapping[str, timedelta]]


@dataclass(frozen=True, eq=True)
class SlaTargets:
    """Business-time targets per segment and priority band.

    ``first_response[segment][band]`` and ``resolution[segment][band]`` are amounts of open
    time in that segment's calendar (not wall-clock time). Serialised as whole minutes.
    """

    first_response: TargetTable
    resolution: TargetTable

    def __post_init__(self) -> None:
        first = _freeze_table(self.first_response, "first_response")
        resolution = _freeze_table(self.resolution, "resolution")
        if set(first) != set(resolution):
            raise ValueError(
                "first_response and resolution must list the same segments, got "
                f"{sorted(first)} and {sorted(resolution)}"
            )
        # Frozen dataclass: normalised read-only copies replace the caller's dicts.
        object.__setattr__(self, "first_response", first)
        object.__setattr__(self, "resolution", resolution)

    @property
    def segments(self) -> tuple[str, ...]:
        """Segments these targets cover."""
        return tuple(self.first_response)

    def first_response_for(self, segment: str, band: str) -> timedelta:
        """First-response target for ``segment`` and priority ``band``."""
        return _lookup(self.first_response, segment, band)

    def resolution_for(self, segment: str, band: str) -> timedelta:
        """Resolution target for ``segment`` and priority ``band``."""
        return _lookup(self.resolution, segment, band)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form, targets as whole minutes."""
        return {
            name: {
                segment: {band: int(value.total_seconds() // 60) for band, value in bands.items()}
                for segment, bands in table.items()
            }
            for name, table in (
                ("first_response", self.first_response),
                ("resolution", self.resolution),
            )
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlaTargets:
        """Inverse of :meth:`to_dict`: ``{"first_response": {segment: {band: minutes}}, ...}``.

        Every segment needs all four bands, each a positive whole number of minutes.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"SLA targets must be a mapping, got {type(data).__name__}")
        unknown = set(data) - {"first_response", "resolution"}
        if unknown:
            raise ValueError(f"SLA targets: unknown keys {sorted(map(str, unknown))}")
        tables: dict[str, dict[str, dict[str, timedelta]]] = {}
        for name in ("first_response", "resolution"):
            raw = data.get(name)
            if not isinstance(raw, Mapping) or not raw:
                raise ValueError(f"{name}: expected a mapping of segment to band minutes")
            table: dict[str, dict[str, timedelta]] = {}
            for segment, bands in raw.items():
                if not isinstance(bands, Mapping):
                    raise ValueError(f"{name}.{segment}: expected a mapping of band to minutes")
                table[segment] = {}
                for band, minutes in bands.items():
                    if isinstance(minutes, bool) or not isinstance(minutes, int):
                        raise ValueError(
                            f"{name}.{segment}.{band}: expected whole minutes, got {minutes!r}"
                        )
                    table[segment][band] = timedelta(minutes=minutes)
            tables[name] = table
        return cls(tables["first_response"], tables["resolution"])


def _freeze_table(table: TargetTable, name: str) -> TargetTable:
    if not isinstance(table, Mapping) or not table:
        raise ValueError(f"{name}: expected a non-empty mapping of segment to band targets")
    frozen: dict[str, Mapping[str, timedelta]] = {}
    for segment, bands in table.items():
        if not isinstance(segment, str) or not segment:
            raise ValueError(f"{name}: segment names must be non-empty strings, got {segment!r}")
        if not isinstance(bands, Mapping):
            raise ValueError(f"{name}.{segment}: expected a mapping of band to timedelta")
        missing = [b for b in PRIORITY_BANDS if b not in bands]
        extra = [b for b in bands if b not in PRIORITY_BANDS]
        if missing or extra:
            raise ValueError(
                f"{name}.{segment}: bands must be exactly {', '.join(PRIORITY_BANDS)}"
                f" (missing {missing}, unknown {extra})"
            )
        for band in PRIORITY_BANDS:
            value = bands[band]
            # Whole minutes only, so to_dict/from_dict round-trip without rounding.
            if (
                not isinstance(value, timedelta)
                or value <= timedelta(0)
                or value % timedelta(minutes=1)
            ):
                raise ValueError(
                    f"{name}.{segment}.{band}: must be a positive duration in whole minutes, "
                    f"got {value!r}"
                )
        frozen[segment] = MappingProxyType({band: bands[band] for band in PRIORITY_BANDS})
    return MappingProxyType(frozen)


def _lookup(table: TargetTable, segment: str, band: str) -> timedelta:
    if segment not in table:
        raise ValueError(f"no SLA targets for segment {segment!r}; known: {', '.join(table)}")
    if band not in table[segment]:
        raise ValueError(f"unknown priority band {band!r}; expected {', '.join(PRIORITY_BANDS)}")
    return table[segment][band]


def _hours(*values: float) -> dict[str, timedelta]:
    return {band: timedelta(hours=h) for band, h in zip(PRIORITY_BANDS, values, strict=True)}


# First response: 30 min / 1 h / 2 h / 4 h of business time for urgent / high / normal / low,
# the same for both segments (a public question hurts the brand whoever asks it).
# Resolution: 1 / 2 / 3 / 5 business days, expressed as open time of the segment's default
# calendar (9 h days for professionals, 10 h days for private customers) so it stays a plain
# duration that add_business_time can consume.
DEFAULT_SLA_TARGETS = SlaTargets(
    first_response={
        PROFESSIONAL: _hours(0.5, 1, 2, 4),
        PRIVATE: _hours(0.5, 1, 2, 4),
    },
    resolution={
        PROFESSIONAL: _hours(9, 18, 27, 45),
        PRIVATE: _hours(10, 20, 30, 50),
    },
)


def due_times(
    received_at: datetime,
    segment: str,
    priority: float,
    calendars: Mapping[str, BusinessCalendar] | None = None,
    targets: SlaTargets | None = None,
) -> tuple[datetime, datetime]:
    """``(first_response_due, resolution_due)`` in UTC for a message received at ``received_at``.

    The band comes from :func:`priority_band`; each target is consumed as business time of
    ``calendars[segment]`` from ``received_at`` (defaults: ``DEFAULT_CALENDARS`` and
    ``DEFAULT_SLA_TARGETS``).
    """
    calendars = DEFAULT_CALENDARS if calendars is None else calendars
    targets = DEFAULT_SLA_TARGETS if targets is None else targets
    if segment not in calendars:
        raise ValueError(
            f"no business calendar for segment {segment!r}; known: {', '.join(calendars)}"
        )
    calendar = calendars[segment]
    band = priority_band(priority)
    first, resolution = calendar.add_business_times(
        received_at,
        (targets.first_response_for(segment, band), targets.resolution_for(segment, band)))
    return first, resolution


def escalation_due(
    opened_at: datetime,
    segment: str,
    *,
    private_days: int = 7,
    professional_days: int = 3,
) -> datetime:
    """When an unresolved ticket escalates on its own, in UTC.

    Plain calendar days, not business days: the customer waits through weekends and holidays
    too, and "a week without an answer" is how they count. Days are exact 24-hour periods from
    ``opened_at`` (independent of DST and business hours).
    """
    moment = as_utc(opened_at, "opened_at")
    if segment == PRIVATE:
        days = private_days
    elif segment == PROFESSIONAL:
        days = professional_days
    else:
        raise ValueError(f"unknown segment {segment!r}; expected {PROFESSIONAL!r} or {PRIVATE!r}")
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError(f"escalation days must be a non-negative integer, got {days!r}")
    return moment + timedelta(days=days)
