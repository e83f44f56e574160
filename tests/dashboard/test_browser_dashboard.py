"""The brand team, a customer and a visitor in a real browser (Debian's Chromium)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from app.dashboard import upkeep
from app.extensions import db
from app.inbox import services as inbox
from app.models import Brand, BrandReportSettings, Channel, User, utcnow
from app.outbox import services as outbox
from app.status import services as status
from app.surveys import services as surveys
from tests.dashboard.conftest import Reply, Spec, build
from tests.jobs.sandbox_http import HttpSandbox
from tests.outbox.helpers import sandbox_thread

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


@pytest.fixture
def public_url(app: Flask, live_server: str) -> Iterator[str]:
    """Links the console writes (survey links) point at the live server."""
    before = app.config["PUBLIC_URL"]
    app.config["PUBLIC_URL"] = live_server
    status.CACHE.clear()
    yield live_server
    app.config["PUBLIC_URL"] = before
    status.CACHE.clear()


def _log_in(page: Any, root: str, user: User) -> None:
    page.goto(f"{root}/")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")


def _history(x: Channel, fb: Channel) -> None:
    # Three threads at noon (Paris) on each of the 12 days before today.
    zone = ZoneInfo("Europe/Paris")
    today = utcnow().astimezone(zone).date()
    for day in range(1, 13):
        noon = datetime.combine(today - timedelta(days=day), time(12), zone)
        for i in range(3):
            opened = noon + timedelta(minutes=i)
            minutes = 4 + 7 * i + day
            build(Spec(opened, [Reply(opened + timedelta(minutes=minutes))],
                       polarity=-0.3 if i == 0 else 0.4,
                       category=("delivery", "payment", "account")[i]), x if i < 2 else fb)
    upkeep.refresh()


def test_brand_user_changes_range_and_exports_csv(
        browser: Any, public_url: str, screenshots: Path, make_user: Callable[..., User],
        brand_channels: tuple[Brand, Channel, Channel]) -> None:
    _brand, x, fb = brand_channels
    _history(x, fb)
    user = make_user("brand", locale="en")
    context = browser.new_context(locale="en-GB", viewport={"width": 1366, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    try:
        _log_in(page, public_url, user)
        page.wait_for_selector("#kpi-answered")
        assert page.url.endswith("/dashboard")  # the brand team lands on its dashboard
        assert "100%" in page.inner_text("#kpi-answered")
        assert page.locator("#table-days tbody tr").count() == 30
        page.wait_for_function("() => document.querySelectorAll('canvas').length >= 5 && "
                               "window.Chart && Chart.getChart('chart-volume')")
        page.screenshot(path=str(screenshots / "dashboard-30d-en.png"), full_page=True)

        page.click("a.preset:has-text('7 days')")
        page.wait_for_url(re.compile(r"preset=7d"))
        assert page.locator("#table-days tbody tr").count() == 7
        assert "18" in page.inner_text("#kpi-threads")  # 3 a day on the 6 days before today
        page.select_option("select[name=channel]", str(fb.id))
        page.click("button:has-text('Show')")
        page.wait_for_url(re.compile(rf"channel={fb.id}"))
        assert "6" in page.inner_text("#kpi-threads")
        with page.expect_download() as info:
            page.click("#csv-export")
        csv_text = Path(info.value.path()).read_text()
        assert csv_text.startswith("row,key,mentions")
        assert "\nday," in csv_text and "\nchannel," in csv_text
        total = next(line for line in csv_text.splitlines() if line.startswith("total,"))
        assert total.split(",")[3] == "6"  # threads of the Facebook channel, 7 days
        page.screenshot(path=str(screenshots / "dashboard-7d-facebook.png"), full_page=True)
    finally:
        context.close()


def test_customer_answers_survey_from_the_sandbox_dm(
        app: Flask, browser: Any, public_url: str, screenshots: Path,
        http_sandbox: HttpSandbox, sandbox_channel: Callable[..., Channel],
        make_user: Callable[..., User]) -> None:
    thread = sandbox_thread(http_sandbox, sandbox_channel)
    agent = make_user("agent")
    db.session.add(BrandReportSettings(brand_id=thread.channel.brand_id, surveys_enabled=True,
                                       survey_fallback="skip", survey_cooldown_days=30,
                                       survey_valid_days=14, public_page=False,
                                       public_min_threads=20))
    db.session.commit()
    reply = outbox.queue_reply(agent, thread, "C'est réglé, merci de votre patience.",
                               idempotency_key="browser-k")
    outbox.deliver(reply)
    inbox.change_status(agent, thread, "resolved")
    assert surveys.send_due() == 1
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{http_sandbox.root}/")
        link = page.locator(f"a[href^='{public_url}/survey/']")
        assert link.count() == 1
        link.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "sandbox-survey-dm.png"), full_page=True)
        link.click()
        page.wait_for_selector("#survey-form")
        page.set_viewport_size({"width": 390, "height": 844})  # the customer's phone
        for question, score in (("speed", 4), ("listening", 5), ("resolution", 5)):
            page.click(f"label.score:has(input[name={question}][value='{score}'])")
        page.screenshot(path=str(screenshots / "survey-phone.png"), full_page=True)
        page.click("button[type=submit]")
        page.wait_for_selector("#survey-thanks")
        page.reload()  # a second visit: the thanks page, not the form
        page.wait_for_selector("#survey-thanks")
        assert page.locator("#survey-form").count() == 0
    finally:
        context.close()
    upkeep.refresh()
    brand_user = make_user("brand")
    context = browser.new_context(locale="en-GB", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        _log_in(page, public_url, brand_user)
        page.goto(f"{public_url}/dashboard?preset=today")
        row = page.locator("#table-satisfaction tbody tr").nth(2)  # resolution
        assert row.locator("td").nth(0).inner_text() == "1"
        assert "1 answers of 1 surveys sent" in page.inner_text("#kpi-csat")
    finally:
        context.close()


def test_status_page_in_french_and_english(
        browser: Any, public_url: str, screenshots: Path,
        brand_channels: tuple[Brand, Channel, Channel]) -> None:
    brand, x, fb = brand_channels
    _history(x, fb)
    db.session.add(BrandReportSettings(brand_id=brand.id, surveys_enabled=False,
                                       survey_fallback="skip", survey_cooldown_days=30,
                                       survey_valid_days=14, public_page=True,
                                       public_min_threads=10))
    db.session.commit()
    for locale, promise, lang in (("fr-FR", "Nous répondons à 100", "fr"),
                                  ("en-GB", "We answer 100%", "en")):
        context = browser.new_context(locale=locale, viewport={"width": 390, "height": 844})
        page = context.new_page()
        try:
            page.goto(f"{public_url}/status/{brand.slug}")
            page.wait_for_selector(f"html[lang={lang}]")
            assert promise in page.inner_text("#promise")
            page.screenshot(path=str(screenshots / f"status-{lang}.png"), full_page=True)
        finally:
            context.close()
