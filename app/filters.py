"""Template filters and globals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_timedelta as babel_timedelta
from flask import Flask, current_app
from flask_babel import format_decimal, get_locale, get_timezone, get_translations
from flask_babel import gettext as _
from markupsafe import Markup

from app.models import Thread, utcnow
from connectors.base import HIDDEN_AUTHOR_PREFIX

#: Up to this age a date reads relatively ("12 minutes ago"); older ones read as a date.
RECENT = timedelta(hours=12)


def ago(value: datetime | None) -> str:
    """'12 minutes ago' style age, localised."""
    return date_formatter().ago(value) if value is not None else ""


def clock_pattern() -> str:
    """Hours and minutes: 24-hour clock except for English in an American time zone."""
    locale = get_locale()
    zone = str(current_app.config.get("TIMEZONE", ""))
    if locale is not None and locale.language == "en" and zone.startswith("America/"):
        return "h:mm a"
    return "HH:mm"


class DateNames:
    """The day, month and period names of one language, read once from Babel.

    ``dt`` writes fixed patterns ("EEE d MMM, HH:mm"); building them from these names gives
    Babel's own output (a test compares the two) for a fraction of its cost: a 500-message
    thread page shows about 1,700 dates, and Babel's formatter plus Flask-Babel's context
    look-ups took most of that page's time.
    """

    def __init__(self, locale: Any) -> None:
        from babel.dates import get_day_names, get_month_names, get_period_names

        self.days_short = dict(get_day_names("abbreviated", "format", locale))
        self.days_wide = dict(get_day_names("wide", "format", locale))
        self.months_short = dict(get_month_names("abbreviated", "format", locale))
        self.months_wide = dict(get_month_names("wide", "format", locale))
        periods = get_period_names("abbreviated", "format", locale)
        self.am, self.pm = str(periods["am"]), str(periods["pm"])


class DateFormatter:
    """``dt`` for one language, time zone and clock: what a request needs, resolved once."""

    def __init__(self, names: DateNames, zone: tzinfo, twelve_hour: bool,
                 locale: Any) -> None:
        self.names = names
        self.zone = zone
        self.twelve_hour = twelve_hour
        self.this_year = utcnow().astimezone(zone).year
        self.locale = locale
        self.just_now = str(_("just now"))

    def clock(self, local: datetime) -> str:
        """``HH:mm``, or ``h:mm a`` (English in an American zone)."""
        if not self.twelve_hour:
            return f"{local.hour:02d}:{local.minute:02d}"
        hour = local.hour % 12 or 12
        return f"{hour}:{local.minute:02d} {self.names.pm if local.hour >= 12 else self.names.am}"

    def local(self, value: datetime) -> datetime:
        """``value`` in the brand's time zone (naive values are UTC, as stored)."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(self.zone)

    def format(self, value: datetime, width: str = "short") -> str:
        """The date as ``dt`` documents it."""
        local = self.local(value)
        return self.long(local) if width == "long" else self.short(local)

    def short(self, local: datetime) -> str:
        """``dt``'s short form of a date already in the brand's time zone."""
        names = self.names
        year = f" {local.year}" if local.year != self.this_year else ""
        return (f"{names.days_short[local.weekday()]} {local.day} "
                f"{names.months_short[local.month]}{year}, {self.clock(local)}")

    def long(self, local: datetime) -> str:
        """``dt``'s long form of a date already in the brand's time zone."""
        names = self.names
        return (f"{names.days_wide[local.weekday()]} {local.day} "
                f"{names.months_wide[local.month]} {local.year}, {self.clock(local)}")

    def ago(self, value: datetime) -> str:
        """The ``ago`` filter in this formatter's language (Babel's own wording)."""
        age = utcnow() - value
        if age < timedelta(minutes=1):
            return self.just_now
        # Negative deltas read "... ago"; a value slightly ahead of the clock reads as now.
        return babel_timedelta(min(-age, timedelta(0)), add_direction=True, locale=self.locale)

    def when(self, value: datetime | None) -> str:
        """The ``when`` filter with this formatter: relative while recent, else the date."""
        if value is None:
            return ""
        return self.ago(value) if utcnow() - value < RECENT else self.format(value)

    def short_and_long(self, value: datetime) -> tuple[str, str]:
        """Both forms of one date (shown and its hover), converted to the zone once."""
        local = self.local(value)
        return self.short(local), self.long(local)


def _zone(zone: tzinfo) -> tzinfo:
    """The same zone from the standard library's ``zoneinfo`` (Flask-Babel gives pytz's):
    same rules, read from the same database, and a conversion about ten times cheaper (an
    inbox page converts about 150 dates)."""
    try:
        return ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return zone


def date_formatter() -> DateFormatter:
    """The date formatter of the current language and the brand's time zone.

    Made once per request and language (``force_locale`` may switch the language inside a
    request); the names are read from Babel once per language for the process.
    """
    from flask import g, has_request_context

    locale = get_locale()
    in_request = has_request_context()
    if in_request:
        seen: tuple[object, DateFormatter] | None = g.get("care_date_formatter")
        if seen is not None and seen[0] is locale:
            return seen[1]
    key = str(locale)
    names_by_locale: dict[str, DateNames] = current_app.extensions.setdefault(
        "care_date_names", {})
    names = names_by_locale.get(key)
    if names is None:
        names = names_by_locale[key] = DateNames(locale)
    formatter = DateFormatter(names, _zone(get_timezone()), clock_pattern() == "h:mm a", locale)
    if in_request:
        g.care_date_formatter = (locale, formatter)
    return formatter


def dt(value: datetime | None, width: str = "short") -> str:
    """An unambiguous date and time: day and month by name, never 12/7/26.

    ``short`` reads "Mon 7 Dec, 14:05" ("lun. 7 déc., 14:05"), the year added when it is not
    this year; ``long`` reads "Monday 7 December 2026, 14:05". Both in ``CARE_TIMEZONE``.
    """
    if value is None:
        return ""
    return date_formatter().format(value, width)


def when(value: datetime | None) -> str:
    """Relative while recent ("12 minutes ago"), then the unambiguous date."""
    return date_formatter().when(value)


def author_name(author: object, network: str | None = None) -> str:
    """How an author is named: @handle on X; the person's name on Facebook (no @ there)."""
    handle = str(getattr(author, "handle", "") or "")
    name = getattr(author, "display_name", None)
    network = network or getattr(author, "network", None)
    if str(getattr(author, "platform_id", "") or "").startswith(HIDDEN_AUTHOR_PREFIX):
        return str(_("Facebook user (name hidden by Facebook)"))
    if network == "x":
        return f"@{handle}" if handle else str(name or "")
    return str(name or handle)


def week_days() -> list[tuple[str, str]]:
    """(key, localised day name) from Monday to Sunday, for week grids."""
    from babel.dates import get_day_names

    names = get_day_names("wide", locale=get_locale())
    keys = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return [(key, names[i].capitalize()) for i, key in enumerate(keys)]


def safe_link(url: object) -> str | None:
    """``url`` when it is an http(s) address a page may link to, else None (a platform's
    attachment URL is data: never a script)."""
    text = str(url or "")
    return text if text.startswith(("https://", "http://")) else None


def decimal(value: float, digits: int = 2, signed: bool = False) -> str:
    """A figure with ``digits`` decimals in the page's language ("0,07" in French, "0.07" in
    English); ``signed`` writes "+" before positive values (polarities)."""
    pattern = "0." + "0" * digits if digits else "0"
    if signed:
        pattern = f"+{pattern};-{pattern}"
    return str(format_decimal(value, format=pattern))


def init_app(app: Flask) -> None:
    """Register filters."""
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["dt"] = dt
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["who"] = author_name
    app.jinja_env.filters["dec"] = decimal
    app.jinja_env.filters["num"] = lambda v: format_decimal(v) if v is not None else ""
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["sla_info"] = sla_info
    app.jinja_env.globals["live_seq"] = _live_seq
    app.jinja_env.globals["header_channels"] = _header_channels
    app.jinja_env.globals["week_days"] = week_days
    init_labels(app)
    # Jinja's gettext, as Flask-Babel installs it but with the catalogue found once per
    # request and language: a page calls it about eighty times.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # i18n extension
        gettext=lambda s: page_translations().ugettext(s),
        ngettext=lambda s, p, n: page_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: page_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: page_translations().unpgettext(c, s, p, n),
    )


def page_translations() -> Any:
    """Flask-Babel's catalogue for the current language, looked up once per request and
    language (found again by the identity of the request's locale, which ``force_locale``
    switches)."""
    from flask import g, has_app_context

    locale = get_locale()
    if not has_app_context():
        return get_translations()
    seen: tuple[object, Any] | None = g.get("care_translations")
    if seen is not None and seen[0] is locale:
        return seen[1]
    translations = get_translations()
    g.care_translations = (locale, translations)
    return translations


def _labels() -> dict[str, dict[str, str]]:
    # Built per call so that each label is translated in the request's language.

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
        "sentiment": {"negative": _("negative"), "neutral": _("neutral"),
                      "positive": _("positive")},
        "band": {"urgent": _("Urgent"), "high": _("High"), "normal": _("Normal"),
                 "low": _("Low")},
        "pii": {"email": _("e-mail"), "phone": _("phone number"), "iban": _("IBAN"),
                "card": _("card number"), "order": _("order number"),
                "tracking": _("tracking number"), "address": _("postal address")},
        "send_state": {"pending": _("Sending…"), "sent": _("Sent"),
                       "unknown": _("Checking with the platform…"), "failed": _("Not sent")},
        "attachment": {"photo": _("Photo"), "video": _("Video"), "animated_gif": _("GIF"),
                       "sticker": _("Sticker"), "share": _("Link"), "file": _("File")},
    }


def label(kind: str, value: str | None) -> str:
    """The translated label of an enumerated value (status, role, category...)."""
    if value is None:
        return ""
    from flask import has_app_context

    if not has_app_context():
        return _labels().get(kind, {}).get(value, value)
    return labels_for_locale().get(kind, {}).get(value, value)


def labels_for_locale() -> dict[str, dict[str, str]]:
    """Every label in the current request's language, translated once per language.

    The catalogs do not change while the process runs, so the table is built the first time
    a language is asked for and kept on the app: an inbox page asks for hundreds of labels,
    and building the table costs about 55 ``gettext`` calls. Within a request the table is
    found again by the identity of the request's locale (``force_locale`` switches it).
    """
    from flask import g, has_request_context

    locale = get_locale()
    if has_request_context():
        seen: tuple[object, dict[str, dict[str, str]]] | None = g.get("care_labels")
        if seen is not None and seen[0] is locale:
            return seen[1]
    key = str(locale)
    cached: dict[str, dict[str, dict[str, str]]] = current_app.extensions.setdefault(
        "care_labels", {})
    table = cached.get(key)
    if table is None:
        table = cached[key] = _labels()
    if has_request_context():
        g.care_labels = (locale, table)
    return table


def init_labels(app: Flask) -> None:
    """Expose one ``<kind>_label`` global per kind of enumerated value."""
    for kind in ("status", "role", "network", "segment", "category", "urgency", "send_state",
                 "channel_status", "token_state", "pii", "band", "attachment", "sentiment"):
        app.jinja_env.globals[f"{kind}_label"] = (lambda k: lambda v: label(k, v))(kind)


class SlaChips:
    """``sla_info`` for one page: the words and the date formatter resolved once.

    An inbox page shows fifty chips; looking the language, the zone and three sentences up
    again for each took a third of the rows' rendering.
    """

    def __init__(self, formatter: DateFormatter) -> None:
        self.fmt = formatter
        # Translated once with the placeholder kept, filled per chip.
        self.late = str(_("late by %(t)s", t="%(t)s"))
        self.resolution = str(_("Resolution due %(t)s", t="%(t)s"))
        self.first_response = str(_("First response due %(t)s", t="%(t)s"))

    def info(self, thread: Thread) -> dict[str, str] | None:
        """The SLA chip of a thread: time left on the clock that applies (``app.threads``)."""
        from app.sla.clock import sla_state
        from app.threads import DueKind, applicable_due

        applies = applicable_due(thread)
        if applies is None:
            return None
        due, now = applies.due, utcnow()
        state = sla_state(due, now)
        left = due - now
        # Short units ("3 h", "58 min"): the pill fits its column in both languages.
        if left.total_seconds() < 0:
            label = self.late.replace("%(t)s", self.short_delta(-left))
        else:
            label = self.short_delta(left)
        sentence = self.resolution if applies.kind is DueKind.RESOLUTION else self.first_response
        return {"state": state, "label": label,
                "title": sentence.replace("%(t)s", self.fmt.format(due))}

    def short_delta(self, delta: timedelta) -> str:
        """"3 h", "58 min": Babel's short units in the page's language."""
        return babel_timedelta(delta, threshold=1.0, format="short", locale=self.fmt.locale)


def sla_chips() -> SlaChips:
    """The SLA chip maker of the current language and zone (once per request)."""
    from flask import g, has_request_context

    formatter = date_formatter()
    if has_request_context():
        seen: SlaChips | None = g.get("care_sla_chips")
        if seen is not None and seen.fmt is formatter:
            return seen
        g.care_sla_chips = chips = SlaChips(formatter)
        return chips
    return SlaChips(formatter)


def sla_info(thread: Thread) -> dict[str, str] | None:
    """The SLA chip of a thread: time left on the clock that applies (``app.threads``)."""
    return sla_chips().info(thread)


def highlight_pii(text: str, spans: list[dict[str, Any]] | None) -> Markup:
    """Escape the text and wrap personal-data spans in <mark>, so agents see them at once."""
    if not spans:
        return Markup.escape(text)
    parts: list[str] = []
    position = 0
    for span in sorted(spans, key=lambda s: int(s.get("start", 0))):
        start, end = int(span.get("start", 0)), int(span.get("end", 0))
        if start < position or end > len(text) or start >= end:
            continue
        parts.append(str(Markup.escape(text[position:start])))
        kind = Markup.escape(label("pii", str(span.get("kind"))))
        parts.append(f'<mark class="pii" title="{kind}">{Markup.escape(text[start:end])}</mark>')
        position = end
    parts.append(str(Markup.escape(text[position:])))
    return Markup("".join(parts))


def _live_seq() -> int:
    from app import header

    return header.figure("live_seq")


def _header_channels() -> list[object]:
    """Channels for the inbox header's health strip (care roles only)."""
    from flask_login import current_user

    from app.inbox.queries import channels
    from app.security import CARE_ROLES

    if not current_user.is_authenticated or current_user.role not in CARE_ROLES:
        return []
    return [channel for channel in channels() if channel.enabled]
