"""Thin views of the dashboard: the page, its CSV export, the monthly report, the settings."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_timedelta, get_locale
from flask_babel import gettext as _

from app.dashboard import metrics, queries, services
from app.dashboard.forms import ReportSettingsForm
from app.models import Role
from app.security import current_actor, roles

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

READERS = (Role.BRAND, Role.SUPERVISOR, Role.ADMIN)

_RANGE_ERRORS = {
    "reversed": lambda: _("The end of the range is before its start."),
    "future": lambda: _("The range reaches into the future: choose days up to today."),
    "too_long": lambda: _("The range is too long: at most %(n)s days.",
                          n=metrics.MAX_RANGE_DAYS),
    "bad_date": lambda: _("A date of the range is not a date (expected YYYY-MM-DD)."),
    "incomplete": lambda: _("Give both the start and the end of the range."),
    "bad_preset": lambda: _("Unknown period."),
}


def duration(seconds: float | None) -> str:
    """A duration as people say it, in the page's language ("22 minutes")."""
    if seconds is None:
        return "—"
    return str(format_timedelta(timedelta(seconds=seconds), threshold=1.5))


_PATTERNS: dict[str, tuple[NumberPattern, NumberPattern]] = {}


def _patterns() -> tuple[NumberPattern, NumberPattern]:
    """The locale's percent patterns: a share with one optional decimal, and a whole change.

    The locale's own pattern keeps its spacing ("80 %" in French, "80%" in English); each is
    parsed once per locale (flask_babel's format_percent parses it on every call, and a
    dashboard shows hundreds of shares)."""
    locale = get_locale() or Locale.parse("en")
    key = str(locale)
    found = _PATTERNS.get(key)
    if found is None:
        base = locale.percent_formats[None].pattern
        found = (parse_pattern(base.replace("#,##0", "#,##0.#", 1)), parse_pattern(base))
        _PATTERNS[key] = found
    return found


def percent(value: float | None) -> str:
    """A share as a percentage, or a dash when there is nothing to divide."""
    return "—" if value is None else str(_patterns()[0].apply(value, get_locale()))


def evolution(value: float | None) -> str:
    """A relative change, signed ("+12%"), or nothing."""
    if value is None:
        return ""
    return ("+" if value > 0 else "") + str(_patterns()[1].apply(value, get_locale()))


@bp.app_template_filter("dashdate")
def dashdate(day: date) -> str:
    """A day in the page's language ("7 Dec 2026")."""
    return str(format_date(day, "medium"))


@bp.app_template_filter("dashmonth")
def dashmonth(day: date) -> str:
    """A month in the page's language ("December 2026")."""
    return str(format_date(day, "MMMM y"))


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"dash_duration": duration, "dash_percent": percent, "dash_change": evolution,
            "dash_change_of": metrics.change}


def _board() -> tuple[queries.Dashboard | None, str | None]:
    brand = queries.brand_by_slug(request.args.get("brand"))
    if brand is None:
        abort(404)
    today = queries.today_of(brand)
    try:
        rng = metrics.parse_range(request.args.get("start"), request.args.get("end"),
                                  request.args.get("preset"), today)
        channel = queries.channel_of(brand, request.args.get("channel"))
    except metrics.RangeError as exc:
        return queries.load(brand, metrics.preset_range("30d", today), None), \
            _RANGE_ERRORS[exc.code]()
    except queries.UnknownChannel:
        return queries.load(brand, metrics.preset_range("30d", today), None), \
            _("This channel is not one of the brand's.")
    return queries.load(brand, rng, channel), None


@bp.route("")
@roles(READERS)
def index() -> Any:
    """The public-response dashboard of a brand."""
    board, error = _board()
    assert board is not None
    return render_template("dashboard/index.html", board=board, error=error,
                           comments=services.latest_comments(board),
                           presets=metrics.PRESETS, brands=queries.brands(),
                           chart=services.chart_data(board),
                           args=request.args), 400 if error else 200


@bp.route("/export.csv")
@roles(READERS)
def export() -> Any:
    """What the page shows, as CSV."""
    board, error = _board()
    if error is not None or board is None:
        return Response(error or "", status=400, mimetype="text/plain")
    name = f"dashboard-{board.brand.slug}-{board.range.start}-{board.range.end}.csv"
    return Response(queries.to_csv(board), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/report")
@roles(READERS)
def report() -> Any:
    """The printable monthly report (``?month=YYYY-MM``, the previous month by default)."""
    brand = queries.brand_by_slug(request.args.get("brand"))
    if brand is None:
        abort(404)
    today = queries.today_of(brand)
    try:
        rng = services.month_range(request.args.get("month"), today)
    except metrics.RangeError:
        flash(_("Choose a past or current month (YYYY-MM)."), "error")
        return redirect(url_for("dashboard.index", brand=brand.slug))
    board = queries.load(brand, rng, None)
    return render_template("dashboard/report.html", board=board,
                           month=format_date(rng.start, "MMMM y"))


@bp.route("/settings", methods=["GET", "POST"])
@roles(Role.BRAND, Role.ADMIN)
def settings() -> Any:
    """Surveys and the public page: the brand's choices."""
    brand = queries.brand_by_slug(request.values.get("brand"))
    if brand is None:
        abort(404)
    current = services.report_settings(brand)
    form = ReportSettingsForm(obj=current if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            services.save_settings(current_actor(), brand, form.values())
            flash(_("Settings saved."), "success")
            return redirect(url_for("dashboard.settings", brand=brand.slug))
        status = 400
    return render_template("dashboard/settings.html", form=form, brand=brand), status
