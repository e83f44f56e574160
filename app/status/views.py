"""The public transparency page: ``/status/<brand>``, its JSON and its SVG badge (no log-in)."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from babel.dates import get_day_names
from flask import Blueprint, Response, abort, jsonify, render_template
from flask_babel import get_locale
from flask_babel import gettext as _

from app.dashboard.views import duration, percent
from app.extensions import limiter
from app.security import public
from app.status import services

bp = Blueprint("status", __name__, url_prefix="/status")

_DAY_INDEX = {name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}


def _definitions() -> dict[str, str]:
    return {
        "answered": _("Share of public questions (not closed as abusive or spam) that got a "
                      "public answer from the team."),
        "median": _("Half of the answered questions got their first answer within this time "
                    "(clock time, nights and week-ends included)."),
        "now": _("The median first answer of the questions answered in the last two hours."),
        "responsive": _("Very responsive: at least %(share)s of questions answered, with a "
                        "median first answer within %(minutes)s minutes, over the last 7 days.",
                        share=percent(services.RESPONSIVE_SHARE),
                        minutes=services.RESPONSIVE_MEDIAN // 60),
    }


def _load(slug: str) -> services.PublicStatus:
    value = services.status(slug)
    if value is None:
        abort(404)
    return value


def _cached(response: Response) -> Response:
    response.headers["Cache-Control"] = f"public, max-age={services.CACHE_SECONDS}"
    response.headers["Vary"] = "Accept-Language"
    return response


@bp.route("/<slug>")
@public
@limiter.limit("120 per minute")
def page(slug: str) -> Any:
    """The page, in the visitor's language."""
    value = _load(slug)
    days = get_day_names("wide", locale=str(get_locale()))
    day_label = {name: days[index] for name, index in _DAY_INDEX.items()}
    html = render_template("status/page.html", s=value, defs=_definitions(),
                           day_label=day_label, duration=duration, percent=percent)
    return _cached(Response(html, mimetype="text/html"))


@bp.route("/<slug>.json")
@public
@limiter.limit("120 per minute")
def as_json(slug: str) -> Any:
    """The same figures as JSON (durations in seconds, shares as fractions)."""
    value = _load(slug)
    payload = services.as_json(value)
    payload["definitions"] = _definitions()
    payload["language"] = str(get_locale())
    return _cached(jsonify(payload))


@bp.route("/<slug>/badge.svg")
@public
@limiter.limit("240 per minute")
def badge(slug: str) -> Any:
    """A small embeddable badge: "very responsive", or the 30-day figures."""
    value = _load(slug)
    if value.very_responsive:
        text = _("Very responsive")
        colour = "#2e7d32"
    elif value.month.shown and value.month.answered_share is not None:
        text = _("Answers %(share)s · median %(time)s",
                 share=percent(value.month.answered_share), time=duration(value.month.frt_median))
        colour = "#1565c0"
    else:
        text = _("Not enough questions yet")
        colour = "#757575"
    label = value.brand_name
    left = 7 * len(label) + 14
    right = 7 * len(text) + 14
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + right}" height="20" '
        f'role="img" aria-label="{escape(label)}: {escape(text)}">'
        f"<title>{escape(label)}: {escape(text)}</title>"
        f'<rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        f'<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="7" y="14">{escape(label)}</text>'
        f'<text x="{left + 7}" y="14">{escape(text)}</text></g></svg>')
    return _cached(Response(svg, mimetype="image/svg+xml"))
