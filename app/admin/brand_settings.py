"""Brand settings edited by admins: business calendars, SLA targets, extra triage words.

Each is written in a small line format that a person can type, parsed here into the plain
dicts the pure modules accept (``BusinessCalendar.from_dict``, ``SlaTargets.from_dict``,
``ToneConfig.from_dict``), so a mistake is reported line by line beside its field.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from app.sla.blocks import DAY_NAMES, SEGMENTS
from app.sla.calendar import DEFAULT_CALENDARS, BusinessCalendar
from app.sla.targets import DEFAULT_SLA_TARGETS, PRIORITY_BANDS, SlaTargets
from tone import ToneConfig
from tone.types import CATEGORIES, URGENCY_FLAGS

_BLOCK = re.compile(r"^(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$")


class SettingsError(ValueError):
    """A field that does not parse; ``field`` names it for the page."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def day_to_text(calendar: BusinessCalendar, day: str) -> str:
    """One day's blocks, ``09:00-12:30 13:30-18:00``; empty when closed."""
    return " ".join(f"{a}-{b}" for a, b in calendar.to_dict()["week"].get(day) or [])


def parse_day(field: str, day: str, text: str) -> list[list[str]]:
    """One day's blocks from its grid cell; an empty cell is a closed day."""
    blocks = []
    for chunk in text.replace(",", " ").split():
        match = _BLOCK.match(chunk)
        if not match:
            raise SettingsError(field, f"{chunk!r} is not like 09:00-18:00")
        blocks.append([match.group(1), match.group(2)])
    return blocks


def week_to_text(calendar: BusinessCalendar) -> str:
    """``mon 09:00-12:30 13:30-18:00`` lines, one per open day."""
    week = calendar.to_dict()["week"]
    return "\n".join(f"{day} " + " ".join(f"{a}-{b}" for a, b in week[day])
                     for day in DAY_NAMES if week.get(day))


def parse_week(field: str, text: str) -> dict[str, list[list[str]]]:
    """Parse day lines into the calendar's ``week`` mapping."""
    week: dict[str, list[list[str]]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        day = parts[0].lower().rstrip(":")
        if day not in DAY_NAMES:
            raise SettingsError(field, f"line {number}: {day!r} is not a day "
                                       f"({', '.join(DAY_NAMES)})")
        if day in week:
            raise SettingsError(field, f"line {number}: {day} appears twice")
        blocks = []
        for chunk in parts[1:]:
            match = _BLOCK.match(chunk)
            if not match:
                raise SettingsError(field, f"line {number}: {chunk!r} is not like 09:00-18:00")
            blocks.append([match.group(1), match.group(2)])
        if not blocks:
            raise SettingsError(field, f"line {number}: {day} has no hours")
        week[day] = blocks
    return week


def words_to_text(extra: dict[str, Any], language: str) -> str:
    """``category: word, word*`` lines for one language."""
    lines = []
    for key in ("extra_words", "extra_urgency"):
        for name, words in (extra.get(key, {}).get(language) or {}).items():
            items = list(words) if not isinstance(words, str) else [words]
            lines.append(f"{name}: {', '.join(items)}")
    return "\n".join(lines)


def parse_words(field: str, text: str, language: str,
                extra: dict[str, dict[str, dict[str, list[str]]]]) -> None:
    """Parse ``name: word, word`` lines; a name is a category or an urgency flag."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, rest = line.partition(":")
        name = name.strip().lower()
        words = [w.strip() for w in rest.split(",") if w.strip()]
        if not sep or not words:
            raise SettingsError(field, f"line {number}: write it as 'delivery: colis, relais'")
        if name in CATEGORIES:
            key = "extra_words"
        elif name in URGENCY_FLAGS:
            key = "extra_urgency"
        else:
            raise SettingsError(field, f"line {number}: {name!r} is neither a category "
                                       f"({', '.join(CATEGORIES)}) nor an urgency flag "
                                       f"({', '.join(URGENCY_FLAGS)})")
        extra.setdefault(key, {}).setdefault(language, {}).setdefault(name, []).extend(words)


def current(settings: dict[str, Any]) -> dict[str, Any]:
    """The form's initial values from the brand's settings (or the defaults)."""
    calendars = {segment: DEFAULT_CALENDARS[segment] for segment in SEGMENTS}
    for segment, data in (settings.get("calendars") or {}).items():
        calendars[segment] = BusinessCalendar.from_dict(data)
    first = calendars["private"].to_dict()
    targets = SlaTargets.from_dict(settings["sla_targets"]) if settings.get("sla_targets") \
        else DEFAULT_SLA_TARGETS
    extra = settings.get("tone_extra") or {}
    values: dict[str, Any] = {
        "timezone": first["timezone"], "holidays": first["holidays"] or "",
        "closed": "\n".join(first["closed"]),
        "words_fr": words_to_text(extra, "fr"), "words_en": words_to_text(extra, "en"),
        "order_patterns": "\n".join(extra.get("order_patterns", [])),
        "tracking_patterns": "\n".join(extra.get("tracking_patterns", [])),
    }
    for segment in SEGMENTS:
        for day in DAY_NAMES:
            values[f"hours_{segment}_{day}"] = day_to_text(calendars[segment], day)
    table = targets.to_dict()
    for kind in ("first_response", "resolution"):
        for segment in SEGMENTS:
            for band in PRIORITY_BANDS:
                hours, minutes = divmod(int(table[kind][segment][band]), 60)
                values[f"{kind}_{segment}_{band}_hours"] = hours
                values[f"{kind}_{segment}_{band}_minutes"] = minutes
    return values


def _week(segment: str, values: dict[str, Any]) -> dict[str, list[list[str]]]:
    week = {}
    for day in DAY_NAMES:
        field = f"hours_{segment}_{day}"
        blocks = parse_day(field, day, str(values.get(field) or ""))
        if blocks:
            week[day] = blocks
    return week


def _calendar_error_field(segment: str, message: str) -> str:
    # A calendar error names the day it is about ("mon: 18:00 must be after ..."), if any.
    for day in DAY_NAMES:
        if re.search(rf"\b{day}\b", message):
            return f"hours_{segment}_{day}"
    return f"hours_{segment}_mon"


def preview(settings: dict[str, Any], received_at: datetime, segment: str,
            band: str) -> tuple[datetime, datetime]:
    """First-response and resolution due times (UTC) of a sample message, under ``settings``
    (as :func:`build` returns them)."""
    from app.sla.policy import policy_for_settings

    calendars, targets = policy_for_settings(settings)
    first, resolution = calendars[segment].add_business_times(
        received_at, (targets.first_response_for(segment, band),
                      targets.resolution_for(segment, band)))
    return first, resolution


def build(values: dict[str, Any]) -> dict[str, Any]:
    """Validate form values and return the new settings (calendars, targets, tone extras)."""
    closed = [line.strip() for line in (values.get("closed") or "").splitlines() if line.strip()]
    calendars = {}
    for segment in SEGMENTS:
        field = f"week_{segment}"
        # The week grid (one cell per day); the one-line-per-day text is still understood.
        week = parse_week(field, values[field]) if values.get(field) is not None \
            else _week(segment, values)
        data = {"timezone": (values.get("timezone") or "").strip(),
                "holidays": (values.get("holidays") or "").strip().upper() or None,
                "week": week, "closed": closed}
        try:
            calendars[segment] = BusinessCalendar.from_dict(data).to_dict()
        except ValueError as exc:
            message = str(exc)
            target = "timezone" if "zone" in message else "closed" if "closed" in message \
                else "holidays" if "holiday" in message or "country" in message \
                else field if values.get(field) is not None \
                else _calendar_error_field(segment, message)
            raise SettingsError(target, message) from exc
    table: dict[str, dict[str, dict[str, int]]] = {"first_response": {}, "resolution": {}}
    for kind in table:
        for segment in SEGMENTS:
            for band in PRIORITY_BANDS:
                name = f"{kind}_{segment}_{band}"
                value = values.get(name)
                if value is None and f"{name}_hours" in values:
                    hours, minutes = values.get(f"{name}_hours"), values.get(f"{name}_minutes")
                    if not isinstance(hours, int) or not isinstance(minutes, int) \
                            or hours < 0 or not 0 <= minutes < 60:
                        raise SettingsError(f"{name}_hours", "hours and minutes (0–59)")
                    value = hours * 60 + minutes
                    name = f"{name}_hours"
                if not isinstance(value, int) or value <= 0:
                    raise SettingsError(name, "at least one minute")
                table[kind].setdefault(segment, {})[band] = value
    targets = SlaTargets.from_dict(table).to_dict()
    extra: dict[str, Any] = {}
    parse_words("words_fr", values.get("words_fr") or "", "fr", extra)
    parse_words("words_en", values.get("words_en") or "", "en", extra)
    for key in ("order_patterns", "tracking_patterns"):
        patterns = [p.strip() for p in (values.get(key) or "").splitlines() if p.strip()]
        if patterns:
            extra[key] = patterns
    try:
        ToneConfig.from_dict(extra)
    except ValueError as exc:
        field = "order_patterns" if "pattern" in str(exc) else "words_fr"
        if field == "order_patterns" and any(p in str(exc) for p in
                                             extra.get("tracking_patterns", [])):
            field = "tracking_patterns"
        raise SettingsError(field, str(exc)) from exc
    return {"calendars": calendars, "sla_targets": targets, "tone_extra": extra}
