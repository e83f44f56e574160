"""Template filters and globals."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from flask_babel import format_datetime, format_decimal, format_timedelta, get_locale
from markupsafe import Markup

from app.models import utcnow


def ago(value: datetime | None) -> str:
    """'12 minutes' style age, localised."""
    if value is None:
        return ""
    # Negative deltas read "... ago"; a value slightly ahead of the clock reads as now.
    return format_timedelta(min(value - utcnow(), timedelta(0)), add_direction=True)


def init_app(app: Flask) -> None:
    """Register filters."""
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["dt"] = lambda v, f="short": format_datetime(v, f) if v else ""
    app.jinja_env.filters["num"] = lambda v: format_decimal(v) if v is not None else ""
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["sla_info"] = sla_info
    app.jinja_env.globals["live_seq"] = _live_seq
    app.jinja_env.globals["header_channels"] = _header_channels
    app.jinja_env.globals["sort_key"] = _sort_key
    app.jinja_env.filters["highlight_pii"] = highlight_pii
    init_labels(app)


def _labels() -> dict[str, dict[str, str]]:
    # Built per call so that each label is translated in the request's language.
    from flask_babel import gettext as _

    return {
        "status": {"new": _("New"), "open": _("Open"), "waiting": _("Waiting"),
                   "resolved": _("Resolved"), "closed": _("Closed"), "active": _("Active"),
                   "all": _("All")},
        "role": {"agent": _("Community manager"), "supervisor": _("Supervisor"),
                 "brand": _("Brand team"), "admin": _("Administrator")},
        "network": {"x": "X", "facebook": "Facebook"},
        "segment": {"professional": _("Professional"), "private": _("Private customer")},
        "category": {"account": _("Account"), "listing": _("Listing"),
                     "payment": _("Payment"), "dispute": _("Dispute"),
                     "delivery": _("Delivery"), "technical": _("Technical"),
                     "fraud": _("Fraud / security"), "praise": _("Praise"),
                     "other": _("Other")},
        "urgency": {"hacked_account": _("Hacked account"), "scam": _("Scam"),
                    "money_blocked": _("Money blocked"), "public_threat": _("Going public"),
                    "abuse": _("Insult"), "safety": _("Safety")},
        "channel_status": {"ok": _("Working"), "new": _("Not tested yet"),
                           "rate_limited": _("Rate limited"),
                           "needs_reconnection": _("Needs reconnection"),
                           "error": _("Error"), "disabled": _("Disabled")},
        "token_state": {"ok": _("Valid"), "missing": _("Missing"),
                        "needs_reconnection": _("Expired or refused")},
        "band": {"urgent": _("Urgent"), "high": _("High"), "normal": _("Normal"),
                 "low": _("Low")},
        "pii": {"email": _("e-mail"), "phone": _("phone number"), "iban": _("IBAN"),
                "card": _("card number"), "order": _("order number"),
                "tracking": _("tracking number"), "address": _("postal address")},
        "send_state": {"pending": _("Sending…"), "sent": _("Sent"),
                       "unknown": _("Checking with the platform…"), "failed": _("Not sent")},
    }


def label(kind: str, value: str | None) -> str:
    """The translated label of an enumerated value (status, role, category...)."""
    if value is None:
        return ""
    from flask import g, has_app_context
    from flask_babel import get_locale

    if not has_app_context():
        return _labels().get(kind, {}).get(value, value)
    # Built once per request and language: a page asks for dozens of labels (the header's
    # channel strip alone, 13), and each build translates all of them (2 ms apiece).
    key = str(get_locale())
    cached: dict[str, dict[str, dict[str, str]]] = g.setdefault("care_labels", {})
    if key not in cached:
        cached[key] = _labels()
    return cached[key].get(kind, {}).get(value, value)


def init_labels(app: Flask) -> None:
    """Expose one ``<kind>_label`` global per kind of enumerated value."""
    for kind in ("status", "role", "network", "segment", "category", "urgency", "send_state",
                 "channel_status", "token_state", "pii", "band"):
        app.jinja_env.globals[f"{kind}_label"] = (lambda k: lambda v: label(k, v))(kind)


def sla_info(thread: object) -> dict[str, str] | None:
    """The SLA chip of a thread: time left to the first response (or resolution), coloured."""
    from flask_babel import gettext as _

    from app.models import OPEN_STATUSES
    from app.sla.calendar import sla_state

    status = getattr(thread, "status", None)
    if status not in OPEN_STATUSES:
        return None
    answered = getattr(thread, "first_response_at", None) is not None
    due = getattr(thread, "resolution_due" if answered else "first_response_due", None)
    if due is None:
        return None
    now = utcnow()
    state = sla_state(due, now)
    left = due - now
    if left.total_seconds() < 0:
        label = _("late by %(t)s", t=format_timedelta(-left, threshold=1.0))
    else:
        label = format_timedelta(left, threshold=1.0)
    title = (_("Resolution due %(t)s", t=format_datetime(due, "short")) if answered
             else _("First response due %(t)s", t=format_datetime(due, "short")))
    return {"state": state, "label": label, "title": title}


def highlight_pii(text: str, spans: list[dict[str, object]] | None) -> Markup:
    """Escape the text and wrap personal-data spans in <mark>, so agents see them at once."""
    if not spans:
        return Markup.escape(text)
    parts: list[str] = []
    position = 0
    for span in sorted(spans, key=lambda s: int(s.get("start", 0))):  # type: ignore[arg-type]
        start, end = int(span.get("start", 0)), int(span.get("end", 0))  # type: ignore[arg-type]
        if start < position or end > len(text) or start >= end:
            continue
        parts.append(str(Markup.escape(text[position:start])))
        kind = Markup.escape(label("pii", str(span.get("kind"))))
        parts.append(f'<mark class="pii" title="{kind}">{Markup.escape(text[start:end])}</mark>')
        position = end
    parts.append(str(Markup.escape(text[position:])))
    return Markup("".join(parts))


def _live_seq() -> int:
    from app.realtime.publish import last_seq

    return last_seq()


def _sort_key(thread: object, sort: str) -> str:
    from app.inbox.queries import sort_key

    return sort_key(thread, sort)  # type: ignore[arg-type]


def _header_channels() -> list[object]:
    """Channels for the inbox header's health strip (care roles only)."""
    from flask_login import current_user

    from app.extensions import db
    from app.models import Channel
    from app.security import CARE_ROLES

    if not current_user.is_authenticated or current_user.role not in CARE_ROLES:
        return []
    return list(db.session.scalars(db.select(Channel).where(Channel.enabled.is_(True))
                                   .order_by(Channel.name)))
