"""Two agents, two browsers, one inbox: real time, no collisions, replies land once."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.models import User

pytestmark = pytest.mark.browser


def _login(browser: Any, url: str, user: User) -> Any:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", "correct horse battery")
    page.click("input[type=submit]")
    page.wait_for_url(f"{url}/inbox")
    page.wait_for_selector("#live-status[data-state=live]")
    return page


def _timeline(stack: Any) -> list[dict[str, Any]]:
    return stack.sandbox.query("SELECT * FROM posts ORDER BY seq")


def test_two_agents_work_the_same_inbox(browser: Any, stack: Any, screenshots: Path,
                                        make_user: Callable[..., User]) -> None:
    marie = make_user("agent", name="Marie Lefèvre", signature="^Marie")
    tom = make_user("agent", name="Tom Bernard", signature="^Tom")
    page_m = _login(browser, stack.url, marie)
    page_t = _login(browser, stack.url, tom)
    try:
        # A customer posts on the sandbox's own page; both inboxes show it within 2 s.
        sandbox = page_m.context.new_page()
        sandbox.goto(f"{stack.url}/sandbox/")
        started = time.monotonic()
        julie_post = stack.sandbox.customer_post(
            network="x", kind="mention", handle="julie_mtp", name="Julie", followers=412,
            text="Mon colis n'est jamais arrivé, le suivi est bloqué")
        for page in (page_m, page_t):
            page.wait_for_selector(".thread-row:has-text('julie_mtp')", timeout=2000)
        elapsed = time.monotonic() - started
        assert elapsed < 2.0
        page_m.screenshot(path=str(screenshots / "live-inbox-marie.png"), full_page=True)

        # Both open the thread; Marie starts a reply, Tom sees the lock.
        for page in (page_m, page_t):
            page.click(".thread-row:has-text('julie_mtp') a.thread-link")
            page.wait_for_selector("#thread-page", state="attached")
            page.wait_for_selector("#live-status[data-state=live]")
        page_m.fill("#body", "Bonjour Julie, nous regardons votre colis tout de suite.")
        page_m.dispatch_event("#body", "input")
        page_t.wait_for_selector(".lock-banner:has-text('Marie Lefèvre is replying')",
                                 timeout=3000)
        page_t.screenshot(path=str(screenshots / "live-lock-tom.png"), full_page=True)

        # Tom cannot send while Marie holds the lock: Send is off, with the reason.
        page_t.fill("#body", "Hello, on s'en occupe")
        page_t.wait_for_selector(".reply-box input[type=submit]:disabled")
        assert "is replying" in page_t.inner_text("#send-reason")

        # Marie's reply lands once on the sandbox timeline.
        page_m.click(".reply-box input[type=submit]")
        page_m.wait_for_selector(".msg.outbound:has-text('nous regardons votre colis')")
        replies = [p for p in _timeline(stack) if p["from_brand"] and
                   "nous regardons votre colis" in p["text"]]
        assert len(replies) == 1
        assert replies[0]["text"].startswith("@julie_mtp ")
        assert replies[0]["text"].endswith("^Marie")
        # Tom's page shows the reply live, and the lock is gone.
        page_t.wait_for_selector(".msg.outbound:has-text('nous regardons votre colis')",
                                 timeout=3000)
        page_t.wait_for_selector(".lock-banner", state="detached", timeout=3000)

        # A draft with a phone number is refused in public, with the private route offered.
        page_m.fill("#body", "Appelez-nous au 06 12 34 56 78")
        page_m.dispatch_event("#body", "input")
        page_m.wait_for_selector("#pii-warning:not([hidden])")
        page_m.click(".reply-box input[type=submit]")
        page_m.wait_for_selector(".refusal:has-text('personal data')")
        assert page_m.is_visible("button.send-private")
        assert page_m.input_value("#body") == "Appelez-nous au 06 12 34 56 78"  # draft kept
        page_m.screenshot(path=str(screenshots / "live-pii-refused.png"), full_page=True)
        phone_posts = [p for p in _timeline(stack) if "06 12 34 56 78" in p["text"]]
        assert phone_posts == []

        # Move to private: a signed public acknowledgement, then a direct message on X.
        page_m.fill("#body", "")
        page_m.click("details.move-private summary")
        page_m.fill("details.move-private textarea",
                    "Bonjour Julie, pouvez-vous nous donner votre numéro de commande ici ?")
        page_m.click("details.move-private button[type=submit]")
        page_m.wait_for_selector(".thread-head .tag.private")
        dms = [p for p in _timeline(stack) if p["kind"] == "dm" and p["from_brand"]]
        assert len(dms) == 1 and "numéro de commande" in dms[0]["text"]
        assert dms[0]["recipient"] == stack.sandbox.get("x", julie_post["id"])["author_id"]
        acks = [p for p in _timeline(stack) if p["from_brand"] and not p["private"]
                and "message privé" in p["text"]]
        assert len(acks) == 1 and acks[0]["text"].endswith("^Marie")
        page_m.screenshot(path=str(screenshots / "live-moved-to-private.png"), full_page=True)
    finally:
        page_m.context.close()
        page_t.context.close()


def test_take_over_tells_the_first_agent(browser: Any, stack: Any, screenshots: Path,
                                         make_user: Callable[..., User]) -> None:
    marie = make_user("agent", name="Marie Lefèvre")
    tom = make_user("agent", name="Tom Bernard")
    stack.sandbox.customer_post(network="x", kind="mention", handle="dana_r",
                                text="someone hacked my account, please help")
    page_m = _login(browser, stack.url, marie)
    page_t = _login(browser, stack.url, tom)
    try:
        for page in (page_m, page_t):
            page.wait_for_selector(".thread-row:has-text('dana_r')", timeout=3000)
            page.click(".thread-row:has-text('dana_r') a.thread-link")
            page.wait_for_selector("#live-status[data-state=live]")
        page_m.fill("#body", "Hi Dana, we are on it")
        page_m.dispatch_event("#body", "input")
        page_t.click("button.takeover", timeout=3000)
        page_m.wait_for_selector(".live-notice:has-text('Tom Bernard took over')", timeout=3000)
        assert page_m.input_value("#body") == "Hi Dana, we are on it"
        page_m.screenshot(path=str(screenshots / "live-takeover.png"), full_page=True)
    finally:
        page_m.context.close()
        page_t.context.close()

