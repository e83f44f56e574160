"""A person's path through the console in a real browser (Debian's Chromium)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.models import Thread, User

pytestmark = pytest.mark.browser


def test_agent_logs_in_opens_a_thread_and_switches_to_french(
    browser: Any, live_server: str, screenshots: Path, make_user: Callable[..., User],
    make_thread: Callable[..., Thread],
) -> None:
    agent = make_user("agent", name="Marie Lefèvre", locale=None)
    make_thread("@MarketplaceCare mon compte a été piraté !!", priority=90)
    thread = make_thread("My parcel never arrived, tracking stuck since Monday", priority=40)
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/inbox")
        assert "/login" in page.url
        page.fill("input[name=email]", agent.email)
        page.fill("input[name=password]", "correct horse battery")
        page.click("input[type=submit]")
        page.wait_for_selector("#thread-list")
        rows = page.locator(".thread-row")
        assert rows.count() == 2
        assert "piraté" in rows.first.inner_text()  # most urgent first
        page.screenshot(path=str(screenshots / "inbox-en.png"), full_page=True)

        page.click(f"[data-thread-id='{thread.id}'] a")
        page.wait_for_selector(".messages")
        assert "tracking stuck" in page.inner_text(".messages")
        assert f"@{thread.author.handle}" in page.inner_text(".author-panel")

        page.click("button[name=locale][value=fr]")
        page.wait_for_selector("html[lang=fr]")
        assert "Boîte de réception" in page.inner_text(".topbar")
        assert "Abonnés" in page.inner_text(".author-panel")
        page.screenshot(path=str(screenshots / "thread-fr.png"), full_page=True)
    finally:
        context.close()
