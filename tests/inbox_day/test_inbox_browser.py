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
