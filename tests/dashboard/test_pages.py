"""The dashboard's pages over HTTP: figures with their definitions, French numbers and dates,
the CSV export, the monthly report, the settings page, the rebuild command."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.dashboard import upkeep
from app.extensions import db
from app.models import (
    AuditEvent,
    Brand,
    BrandReportSettings,
    Channel,
    DayRollup,
    User,
    utcnow,
)
from app.status import services as status
from tests.dashboard.conftest import Reply, Spec, build


def _history(x: Channel, fb: Channel) -> None:
    """Five threads today-ish: four answered in 10 minutes, one not; one on Facebook."""
    opened = utcnow() - timedelta(hours=3)
    for channel in (x, x, x, fb):
        build(Spec(opened, [Reply(opened + timedelta(minutes=10))]), channel)
    build(Spec(opened), x)
    upkeep.refresh()


def test_dashboard_shows_figures_with_their_definitions(
        client: FlaskClient, make_user: Callable[..., User], login: Callable[..., Any],
        brand_channels: tuple[Brand, Channel, Channel]) -> None:
    _brand, x, fb = brand_channels
    _history(x, fb)
    login(make_user("brand"))
    page = client.get("/dashboard?brand=test-brand&preset=7d", headers={
        "Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "80%" in text  # 4 of 5 answered in public
    # Every figure carries its definition, as the README words it.
    for words in ("public inbound messages", "first inbound message",
                  "acknowledgement", "due time"):
        assert words in text, words
    # One channel: only its threads.
    only_fb = client.get(f"/dashboard?brand=test-brand&preset=7d&channel={fb.id}")
    assert only_fb.status_code == 200 and "100%" in only_fb.get_data(as_text=True)


def test_dashboard_in_french_formats_numbers_and_dates(
        client: FlaskClient, make_user: Callable[..., User], login: Callable[..., Any],
        brand_channels: tuple[Brand, Channel, Channel]) -> None:
    _brand, x, fb = brand_channels
    _history(x, fb)
    login(make_user("brand", locale="fr"))
    text = client.get("/dashboard?brand=test-brand&start=2026-11-01&end=2026-11-30"
                      ).get_data(as_text=True)
    assert 'lang="fr"' in text
    assert "1 nov. 2026" in text or "1 novembre 2026" in text
    text = client.get("/dashboard?brand=test-brand&preset=7d").get_data(as_text=True)
    assert "80\u00a0%" in text or "80\u202f%" in text  # French puts a space before %


def test_csv_export_is_what_the_page_shows(
        client: FlaskClient, make_user: Callable[..., User], login: Callable[..., Any],
        brand_channels: tuple[Brand, Channel, Channel]) -> None:
    _brand, x, fb = brand_channels
    _history(x, fb)
    login(make_user("supervisor"))
    export = client.get("/dashboard/export.csv?brand=test-brand&preset=7d")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert "attachment" in export.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    flat = [cell for row in rows for cell in row]
    assert "5" in flat and "4" in flat  # threads opened, answered
    assert not any(cell.startswith(("=", "+", "@")) for cell in flat)


def test_monthly_report_and_its_bad_months(
        client: FlaskClient, make_user: Callable[..., User], login: Callable[..., Any],
        brand_channels: tuple[Brand, Channel, Channel]) -> None:
    _brand, x, fb = brand_channels
    _history(x, fb)
    login(make_user("brand"))
    month = utcnow().strftime("%Y-%m")
    page = client.get(f"/dashboard/report?brand=test-brand&month={month}")
    assert page.status_code == 200
    assert "80%" in page.get_data(as_text=True)
    assert client.get("/dashboard/report?brand=test-brand").status_code == 200
    for bad in ("2999-01", "13-2026", "yesterday", "2026-13"):
        refused = client.get(f"/dashboard/report?brand=test-brand&month={bad}",
                             follow_redirects=True)
        text = refused.get_data(as_text=True)
        assert "Choose a past or current month" in text and "Traceback" not in text, bad
    assert client.get("/dashboard/report?brand=nobody").status_code == 404


def test_settings_page_saves_refuses_and_publishes_at_once(
        app: Flask, client: FlaskClient, make_user: Callable[..., User],
        login: Callable[..., Any], brand_channels: tuple[Brand, Channel, Channel]) -> None:
    brand, _x, _fb = brand_channels
    login(make_user("brand"))
    assert client.get("/dashboard/settings?brand=test-brand").status_code == 200
    assert client.get("/status/test-brand.json").status_code == 404  # not published yet
    base = {"brand": "test-brand", "survey_fallback": "skip", "survey_cooldown_days": "30",
            "survey_valid_days": "14", "public_min_threads": "20"}
    for field, value, message in (("survey_cooldown_days", "0", "Between 1 and 365 days."),
                                  ("survey_valid_days", "400", "Between 1 and 90 days."),
                                  ("public_min_threads", "", "Enter a number of threads."),
                                  ("survey_fallback", "shout", "Not a valid choice")):
        refused = client.post("/dashboard/settings", data={**base, field: value,
                                                           "public_page": "y"})
        assert refused.status_code == 400 and message in refused.get_data(as_text=True), field
        assert db.session.get(BrandReportSettings, brand.id) is None
    saved = client.post("/dashboard/settings", data={**base, "public_page": "y",
                                                     "surveys_enabled": "y"},
                        follow_redirects=True)
    assert "Settings saved." in saved.get_data(as_text=True)
    db.session.expire_all()
    settings = db.session.get(BrandReportSettings, brand.id)
    assert settings is not None and settings.public_page and settings.surveys_enabled
    assert db.session.scalar(db.select(AuditEvent).filter_by(
        action="report_settings_changed")) is not None
    # The "not published" answer cached a moment ago does not hide the page for a minute.
    assert client.get("/status/test-brand.json").status_code == 200
    client.post("/dashboard/settings", data=base)  # public page switched off again
    assert client.get("/status/test-brand.json").status_code == 404
    with app.app_context():
        status.clear_cache()


def test_rebuild_command_gives_the_same_rollups(
        app: Flask, brand_channels: tuple[Brand, Channel, Channel]) -> None:
    _brand, x, fb = brand_channels
    _history(x, fb)

    def rows() -> list[tuple[Any, ...]]:
        return [(r.channel_id, r.day, r.threads, r.answered, r.frt_n)
                for r in db.session.scalars(db.select(DayRollup).order_by(
                    DayRollup.channel_id, DayRollup.day))]

    kept = rows()
    assert kept
    db.session.execute(db.delete(DayRollup))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["dashboard-rebuild", "--brand", "test-brand"])
    assert result.exit_code == 0 and "rollup rows written" in result.output
    db.session.expire_all()
    assert rows() == kept
    result = runner.invoke(args=["dashboard-rebuild", "--brand", "nobody"])
    assert result.exit_code != 0 and "no brand 'nobody'" in result.output
