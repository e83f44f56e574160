"""Labels and dates are built once per language, and still read right in each language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from babel.dates import format_datetime as babel_format
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, get_timezone

from app import filters
from app.models import User
from tests.helpers import TEST_PASSWORD


def _login(client: FlaskClient, user: User) -> None:
    answer = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert answer.status_code == 302


def test_labels_are_translated_once_per_language(app: Flask,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    app.extensions.pop("care_labels", None)
    builds: list[int] = []
    real = filters._labels

    def counting() -> dict[str, dict[str, str]]:
        builds.append(1)
        return real()

    monkeypatch.setattr(filters, "_labels", counting)
    for language, expected in (("fr", "Ouvert"), ("en", "Open")):
        for _ in range(3):
            # A fresh app context per request, as in production (Flask-Babel keeps the
            # locale in it).
            with app.app_context(), app.test_request_context(
                    headers={"Accept-Language": language}):
                assert filters.label("status", "open") == expected
                assert filters.label("status", "unknown-value") == "unknown-value"
                assert filters.label("status", None) == ""
    assert len(builds) == 2  # one table per language for the process, not one per call


def test_switching_language_per_request_reads_each_language(
        client: FlaskClient, make_user: Callable[..., User],
        make_thread: Callable[..., object]) -> None:
    french = make_user(locale="fr")
    english = make_user(locale="en")
    make_thread(status="open")
    for user, word, other in ((french, "Ouvert", ">Open<"), (english, ">Open<", "Ouvert"),
                              (french, "Ouvert", ">Open<")):
        _login(client, user)
        page = client.get("/inbox?status=all").get_data(as_text=True)
        assert word in page
        assert other not in page
        client.post("/logout")


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York"])
def test_dates_read_as_babel_writes_them(app: Flask, language: str, zone: str) -> None:
    """The precomputed names give Babel's own text, every month, weekday and hour."""
    app.config["TIMEZONE"] = zone
    app.config["BABEL_DEFAULT_TIMEZONE"] = zone
    try:
        with app.app_context(), app.test_request_context(
                headers={"Accept-Language": language}):
            tz = get_timezone()
            clock = filters.clock_pattern()
            now = datetime.now(UTC)
            start = now - timedelta(days=800)
            for step in range(0, 800 * 24, 37):  # every 37 hours: all weekdays and hours
                value = start + timedelta(hours=step, minutes=step % 60)
                this_year = babel_format(value, "y", tzinfo=tz) == babel_format(
                    now, "y", tzinfo=tz)
                short = (f"EEE d MMM, {clock}" if this_year else f"EEE d MMM y, {clock}")
                assert filters.dt(value) == babel_format(value, short, tzinfo=tz,
                                                         locale=language)
                assert filters.dt(value, "long") == babel_format(
                    value, f"EEEE d MMMM y, {clock}", tzinfo=tz, locale=language)
            naive = datetime(2024, 3, 5, 13, 7)
            assert filters.dt(naive, "long") == babel_format(
                naive.replace(tzinfo=UTC), f"EEEE d MMMM y, {clock}", tzinfo=tz,
                locale=language)
    finally:
        app.config["TIMEZONE"] = app.config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Paris"


def test_forced_language_inside_a_request_gets_its_own_dates(app: Flask) -> None:
    value = datetime(2024, 12, 2, 9, 30, tzinfo=UTC)  # a Monday
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "en"}):
        assert filters.dt(value).startswith("Mon 2 Dec 2024")
        with force_locale("fr"):
            assert filters.dt(value).startswith("lun. 2 déc. 2024")
        assert filters.dt(value).startswith("Mon 2 Dec 2024")


def test_template_gettext_follows_a_forced_language(app: Flask,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Jinja's ``_()`` finds the catalogue once per request and language, and a language
    forced inside the request (a survey in its customer's language) is still honoured."""
    looked_up: list[object] = []
    real = filters.get_translations

    def counting() -> object:
        looked_up.append(1)
        return real()

    monkeypatch.setattr(filters, "get_translations", counting)
    page = app.jinja_env.from_string("{{ _('Inbox') }}|{{ _('Tickets') }}|{{ _('Inbox') }}")
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "en"}):
        assert page.render() == "Inbox|Tickets|Inbox"
        with force_locale("fr"):
            assert page.render() == "Boîte de réception|Tickets|Boîte de réception"
        assert page.render() == "Inbox|Tickets|Inbox"
    # English, French, English again: one look-up each time the language changed, not one
    # per string.
    assert len(looked_up) == 3
