"""The inbox at 1280×800 in a real browser: the list is the page, in English and French."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.models import Channel, Thread, User
from tests.inbox_day.seed import seed_inbox

pytestmark = pytest.mark.browser


def _login(browser: Any, url: str, user: User, locale: str, width: int = 1280,
           height: int = 800) -> Any:
    context = browser.new_context(locale=locale, viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", "correct horse battery")
    page.click("input[type=submit]")
    page.wait_for_selector("#thread-list")
    return page


def _visible_rows(page: Any) -> int:
    return int(page.evaluate("""() => Array.from(document.querySelectorAll('.thread-row'))
        .filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length"""))


@pytest.mark.parametrize("locale,lang", [("en-GB", "en"), ("fr-FR", "fr")])
def test_the_list_is_the_page_in_both_languages(
    browser: Any, live_server: str, screenshots: Path, make_user: Callable[..., User],
    make_channel: Callable[..., Channel], make_author: Callable[..., Any],
    make_thread: Callable[..., Thread], locale: str, lang: str,
) -> None:
    admin = make_user("admin", name="Alex Admin", locale=None)
    agents = [make_user("agent", name="Marie Lefèvre"), make_user("agent", name="Tom Bernard")]
    seed_inbox(make_channel, make_author, make_thread, agents)
    page = _login(browser, live_server, admin, locale)
    try:
        assert page.get_attribute("html", "lang") == lang  # the browser's language
        # The header holds on one line (an admin has the most links), in both languages.
        header = page.locator(".topbar").bounding_box()
        assert header is not None and header["height"] < 52
        for selector in (".mainnav", ".userbox", ".langswitch", ".logout"):
            box = page.locator(selector).bounding_box()
            assert box is not None and box["y"] + box["height"] <= header["height"] + 1
        # Nothing overlaps: the last link ends before the channel strip and the user box.
        links = page.locator(".mainnav > ul > li")
        last = links.nth(links.count() - 1).bounding_box()
        strip = page.locator(".channel-strip").bounding_box()
        userbox = page.locator(".userbox").bounding_box()
        assert last is not None and userbox is not None
        assert last["x"] + last["width"] <= (strip or userbox)["x"] + 1
        if strip is not None:
            assert strip["x"] + strip["width"] <= userbox["x"] + 1
        # Filters are one collapsed button; the bulk bar only appears with a selection.
        assert not page.is_visible(".filters select[name=category]")
        assert not page.is_visible("#bulk-form")
        # At least 15 threads fit on the screen.
        visible = _visible_rows(page)
        assert visible >= 15, visible
        page.screenshot(path=str(screenshots / f"inbox-day-{lang}.png"))

        # A legend says what the priority and the SLA pill are.
        head = page.text_content(".list-head") or ""
        assert ("Priority" if lang == "en" else "Priorité") in head
        assert "SLA" in head
        # Facebook users are named, not @-handled; X users keep their @handle.
        karim = page.locator(".thread-row:has-text('DGCCRF') .who").inner_text()
        assert karim.startswith("Karim Benali") and "@" not in karim
        assert page.locator(".thread-row:has-text('piraté') .who").inner_text() \
            .startswith("@julie_mtp")

        # Selecting a row brings up the bulk bar with the count.
        page.check(".thread-row:nth-child(2) input.select")
        page.wait_for_selector("#bulk-form", state="visible")
        assert "1" in page.inner_text("#bulk-form .bulk-count")
        page.screenshot(path=str(screenshots / f"inbox-day-bulk-{lang}.png"))
        page.uncheck(".thread-row:nth-child(2) input.select")
        page.wait_for_selector("#bulk-form", state="hidden")

        # Filters open from the bar; an applied filter is a removable chip.
        page.click(".filter-panel > summary")
        page.select_option(".filters select[name=category]", "payment")
        page.click(".filters button[type=submit]")
        page.wait_for_selector(".chip")
        assert page.locator(".thread-row").count() == 4
        chip = page.inner_text(".chip")
        assert ("Payment" if lang == "en" else "Paiement") in chip
        page.screenshot(path=str(screenshots / f"inbox-day-chip-{lang}.png"))
        page.click(".chip-x")
        page.wait_for_selector(".chip", state="detached")
        assert page.locator(".thread-row").count() == 22
    finally:
        page.context.close()


def test_the_header_degrades_on_a_narrow_window(
    browser: Any, live_server: str, screenshots: Path, make_user: Callable[..., User],
    make_channel: Callable[..., Channel], make_author: Callable[..., Any],
    make_thread: Callable[..., Thread],
) -> None:
    admin = make_user("admin", name="Alex Admin", locale="fr")
    seed_inbox(make_channel, make_author, make_thread, [admin])
    page = _login(browser, live_server, admin, "fr-FR", width=760, height=800)
    try:
        header = page.locator(".topbar").bounding_box()
        assert header is not None and header["height"] < 52
        # Nothing spills out sideways: the page does not scroll horizontally.
        assert page.evaluate("document.documentElement.scrollWidth") <= 760
        assert page.is_visible(".logout button") and page.is_visible(".langswitch")
        page.screenshot(path=str(screenshots / "inbox-day-narrow-fr.png"))
    finally:
        page.context.close()


def test_brand_settings_week_grid_and_preview(
    browser: Any, live_server: str, screenshots: Path, make_user: Callable[..., User],
) -> None:
    admin = make_user("admin", name="Alex Admin", locale=None)
    page = _login_anywhere(browser, live_server, admin, "fr-FR", height=1100)
    try:
        page.goto(f"{live_server}/admin/brand")
        # Seven days, each a row; targets as hours and minutes; a preview of a sample.
        assert page.locator(".week-grid tbody tr").count() == 7
        assert page.locator(".week-grid tbody th").first.inner_text() == "Lundi"
        assert page.input_value("input[name=hours_private_sun]") == ""
        page.fill("input[name=first_response_private_normal_hours]", "1")
        page.fill("input[name=first_response_private_normal_minutes]", "30")
        page.fill("input[name=sample_at]", "2026-12-05T18:00")
        page.select_option("select[name=sample_segment]", "private")
        page.select_option("select[name=sample_band]", "normal")
        page.click("input[name=preview]")
        page.wait_for_selector(".preview-result")
        result = page.inner_text(".preview-result")
        # Saturday 18:00 + 1 h 30 of business time: 1 h on Saturday (closing 19:00), Sunday
        # closed, then 30 min on Monday from 09:00.
        assert "samedi 5 décembre 2026, 18:00" in result
        assert "lundi 7 décembre 2026, 09:30" in result
        page.screenshot(path=str(screenshots / "brand-settings-fr.png"), full_page=True)
    finally:
        page.context.close()


def test_an_office_logs_in_despite_a_colleagues_typos(
    app: Any, browser: Any, live_server: str, screenshots: Path,
    make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    tom = make_user("agent", name="Tom Bernard", locale=None)
    marie = make_user("agent", name="Marie Lefèvre", locale=None)
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        for _ in range(3):  # Tom mistypes three times from the office
            page.goto(f"{live_server}/login")
            page.fill("input[name=email]", tom.email)
            page.fill("input[name=password]", "wrong password")
            page.click("input[type=submit]")
            page.wait_for_selector("text=Wrong e-mail or password.")
        page.goto(f"{live_server}/login")
        page.fill("input[name=email]", tom.email)
        page.fill("input[name=password]", "correct horse battery")
        page.click("input[type=submit]")
        page.wait_for_selector("text=Too many attempts")
        page.screenshot(path=str(screenshots / "login-limited-tom.png"))
        # Marie, at the same address, logs in with her right password.
        page.goto(f"{live_server}/login")
        page.fill("input[name=email]", marie.email)
        page.fill("input[name=password]", "correct horse battery")
        page.click("input[type=submit]")
        page.wait_for_selector("#thread-list")
        page.screenshot(path=str(screenshots / "login-office-marie.png"))
    finally:
        context.close()


@pytest.mark.parametrize("browser_locale,saved,expected", [
    ("en-US", None, "Inbox"), ("fr-FR", None, "Boîte de réception"), ("en-US", "fr",
                                                                     "Boîte de réception")])
def test_language_follows_the_browser_until_a_choice_is_saved(
    browser: Any, live_server: str, screenshots: Path, make_user: Callable[..., User],
    browser_locale: str, saved: str | None, expected: str,
) -> None:
    user = make_user("agent", name="Marie Lefèvre", locale=saved)
    page = _login(browser, live_server, user, browser_locale)
    try:
        assert page.inner_text(".mainnav a.active") == expected
        page.screenshot(path=str(screenshots / f"locale-{browser_locale}-{saved or 'none'}.png"))
    finally:
        page.context.close()


def test_private_message_and_acknowledgement_in_the_platforms_order(
    browser: Any, live_server: str, screenshots: Path, make_user: Callable[..., User],
    make_thread: Callable[..., Thread], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.fakes_care import FakeConnector, install

    fake = install(monkeypatch, FakeConnector("x"))
    agent = make_user("agent", name="Marie Lefèvre", signature="^Marie", locale="fr")
    thread = make_thread("Mon compte est bloqué, je ne peux plus retirer mon argent",
                         language="fr")
    page = _login(browser, live_server, agent, "fr-FR")
    try:
        page.goto(f"{live_server}/inbox/threads/{thread.id}")
        page.click("details.move-private summary")
        page.fill("details.move-private textarea", "Bonjour, quelle est l'adresse e-mail "
                  "de votre compte ?")
        page.click("details.move-private button[type=submit]")
        page.wait_for_selector(".thread-head .tag.private")
        bubbles = page.locator(".msg.outbound .msg-text").all_inner_texts()
        posted = [s["text"] for s in fake.sent]
        assert len(bubbles) == 2 and len(posted) == 2
        # The page shows them in the order the platform received them.
        assert [b.split(" ^")[0][-20:] for b in bubbles] \
            == [p.split(" ^")[0][-20:] for p in posted]
        history = page.inner_text("#thread-audit")
        assert "message privé envoyé" in history and "réponse publique envoyée" in history
        page.screenshot(path=str(screenshots / "thread-private-order-fr.png"), full_page=True)
    finally:
        page.context.close()


def _login_anywhere(browser: Any, url: str, user: User, locale: str, width: int = 1280,
                    height: int = 800) -> Any:
    context = browser.new_context(locale=locale, viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", "correct horse battery")
    page.click("input[type=submit]")
    page.wait_for_load_state()
    return page
