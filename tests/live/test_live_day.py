"""A day in the live inbox (issue 24): new threads are noticed, replies show how they went."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.extensions import db
from app.models import Brand, CannedReply, Channel, Thread, User
from tests.inbox_day.seed import seed_inbox

pytestmark = pytest.mark.browser


def _login(browser: Any, url: str, user: User, locale: str = "en-GB") -> Any:
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", "correct horse battery")
    page.click("input[type=submit]")
    page.wait_for_url(f"{url}/inbox")
    page.wait_for_selector("#live-status[data-state=live]")
    return page


def _count(page: Any, status: str) -> str:
    return str(page.inner_text(f".status-tabs [data-status={status}] .count")).strip()


def test_new_threads_are_counted_live_and_brought_into_view(
    browser: Any, stack: Any, screenshots: Path, make_user: Callable[..., User],
    make_channel: Callable[..., Channel], make_author: Callable[..., Any],
    make_thread: Callable[..., Thread],
) -> None:
    marie = make_user("agent", name="Marie Lefèvre", locale=None)
    seed_inbox(make_channel, make_author, make_thread, [marie])
    page = _login(browser, stack.url, marie)
    try:
        before_new, before_active = int(_count(page, "new")), int(_count(page, "active"))
        assert page.title() == "Inbox · Care Console"
        assert not page.is_visible("#new-pill")
        for n, text in enumerate(["Merci pour la livraison rapide !",
                                  "Petite question sur les frais de port",
                                  "Thanks, all good now"]):
            stack.sandbox.customer_post(network="x", kind="mention", handle=f"calm_{n}",
                                        name=f"Calm {n}", followers=3, text=text)
        # The pill, the tab title and the status tabs follow without a reload.
        # (The machine is shared: a poll, an ingest and a fetch can take seconds here.)
        page.wait_for_selector("#new-pill:has-text('3 new')", timeout=20000)
        page.wait_for_function("() => document.title === '(3) Inbox · Care Console'", timeout=10000)
        page.wait_for_function(
            f"() => document.querySelector('.status-tabs [data-status=new] .count').textContent"
            f".trim() === '{before_new + 3}'", timeout=10000)
        assert _count(page, "active") == str(before_active + 3)
        page.screenshot(path=str(screenshots / "live-day-new-pill.png"))
        # Low-priority mentions sort in below the fold; the pill brings them into view.
        first_id = page.get_attribute(".thread-row.unseen", "data-thread-id")
        first_new = page.locator(f".thread-row[data-thread-id='{first_id}']")
        page.click("#new-pill")
        page.wait_for_selector("#new-pill", state="hidden")
        page.wait_for_timeout(800)  # the smooth scroll
        box = first_new.bounding_box()
        assert box is not None and 0 <= box["y"] <= 800 - box["height"]
        assert page.title() == "Inbox · Care Console"
        page.screenshot(path=str(screenshots / "live-day-new-in-view.png"))
    finally:
        page.context.close()


def test_a_reply_shows_sending_then_sent_and_claims_the_thread(
    browser: Any, stack: Any, screenshots: Path, make_user: Callable[..., User],
) -> None:
    marie = make_user("agent", name="Marie Lefèvre", signature="^Marie")
    tom = make_user("agent", name="Tom Bernard", signature="^Tom")
    stack.sandbox.customer_post(network="x", kind="mention", handle="julie_mtp", name="Julie",
                                followers=412, text="Mon colis n'est jamais arrivé !")
    brand = db.session.scalar(db.select(Brand).filter_by(slug="marketplace"))
    for language, category, title, body in [
            ("en", "delivery", "Late parcel", "Hi {first_name}, sorry for the delay."),
            ("fr", None, "Bonjour", "Bonjour {first_name}, merci de votre message."),
            ("fr", "payment", "Remboursement", "Bonjour {first_name}, le remboursement…"),
            ("fr", "delivery", "Colis en retard", "Bonjour {first_name}, désolés pour ce "
             "retard : nous contactons le vendeur.")]:
        reply = CannedReply(brand_id=brand.id if brand else None, language=language,
                            title=title, body=body, category=category)
        reply.refresh_search_text()
        db.session.add(reply)
    db.session.commit()
    page_m = _login(browser, stack.url, marie)
    page_t = _login(browser, stack.url, tom)
    try:
        for page in (page_m, page_t):
            page.wait_for_selector(".thread-row:has-text('julie_mtp')", timeout=20000)
            page.click(".thread-row:has-text('julie_mtp') a.thread-link")
            page.wait_for_selector("#live-status[data-state=live]")

        # Canned replies: the thread's category in its language first; opening the list
        # leaves the reply box on the screen.
        page_m.click("#canned-results > summary")
        titles = page_m.locator("#canned-results .canned-list li strong").all_inner_texts()
        assert titles[0] == "Colis en retard" and titles[1] == "Bonjour"
        body_box = page_m.locator("#body").bounding_box()
        assert body_box is not None and body_box["y"] + body_box["height"] <= 800
        page_m.screenshot(path=str(screenshots / "live-day-canned.png"))
        page_m.click("#canned-results li:first-child button[data-insert]")
        assert page_m.input_value("#body").startswith("Bonjour Julie, désolés")

        # Over the length limit, Send is off and says why.
        page_m.fill("#body", "x" * 300)
        page_m.dispatch_event("#body", "input")
        page_m.wait_for_selector(".reply-box input[type=submit]:disabled", timeout=3000)
        assert "Too long" in page_m.inner_text("#send-reason")
        page_m.screenshot(path=str(screenshots / "live-day-too-long.png"))

        # While Marie holds the reply lock, Tom's Send is off with the reason.
        page_m.fill("#body", "Bonjour Julie, nous regardons votre colis tout de suite.")
        page_m.dispatch_event("#body", "input")
        page_m.wait_for_selector(".reply-box input[type=submit]:enabled", timeout=3000)
        page_t.wait_for_selector(".reply-box input[type=submit]:disabled", timeout=3000)
        assert "Marie Lefèvre is replying" in page_t.inner_text("#send-reason")
        page_t.screenshot(path=str(screenshots / "live-day-locked.png"))

        # Marie sends: "Sending…" at once, then "Sent" with the link to the post.
        # What the page shows just after the click, kept in the tab's storage across the
        # navigation that follows; the request itself is held a moment.
        page_m.evaluate("""() => document.querySelector('form.reply-box').addEventListener(
            'submit', () => setTimeout(() => sessionStorage.setItem('shown',
              (document.querySelector('.msg.sending .send-state.pending') || {}).textContent
              || ''), 0))""")
        held: list[Any] = []
        page_m.route("**/reply", lambda route: held.append(route))
        page_m.click(".reply-box input[type=submit]", no_wait_after=True)
        for _ in range(100):
            if held:
                break
            page_m.wait_for_timeout(100)
        # (Chromium takes no screenshot while a navigation is pending: the check below reads
        # what the page showed from the tab's storage instead.)
        held[0].continue_()
        page_m.unroute("**/reply")
        page_m.wait_for_selector(".msg.outbound .send-state.sent a", timeout=15000)
        assert re.search(r"/inbox/threads/\d+#m\d+$", page_m.url)
        assert page_m.evaluate("sessionStorage.getItem('shown')") == "Sending…"
        sent = page_m.inner_text(".msg.outbound .send-state.sent")
        assert "Sent" in sent and "see it on X" in sent
        assert "x.com/" in (page_m.get_attribute(".msg.outbound .send-state.sent a", "href")
                            or "")
        # The thread is Marie's now, and the history says which kind of reply it was.
        history = page_m.inner_text("#thread-audit")
        assert "public reply sent" in history and "took the thread by replying" in history
        page_m.screenshot(path=str(screenshots / "live-day-sent.png"), full_page=True)

        # A refused post comes back to the thread's own URL with the draft kept.
        page_m.fill("#body", "Appelez-nous au 06 12 34 56 78")
        page_m.click(".reply-box input[type=submit]")
        page_m.wait_for_selector(".refusal:has-text('personal data')")
        assert re.search(r"/inbox/threads/\d+$", page_m.url)
        assert page_m.input_value("#body") == "Appelez-nous au 06 12 34 56 78"
        page_m.screenshot(path=str(screenshots / "live-day-refused.png"))
    finally:
        page_m.context.close()
        page_t.context.close()
