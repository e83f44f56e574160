"""The committee in a real browser: a supervisor scores with the keyboard alone and closes
the review; the agent disputes a score; the supervisor answers. Screenshots saved."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.extensions import db
from app.models import Dispute, Message, Review, ReviewItem, User

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def _log_in(page: Any, base: str, user: User) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state()


def test_monthly_committee_end_to_end(
        browser: Any, live_server: str, screenshots: Path, make_user: Callable[..., User],
        make_reply: Callable[..., Message]) -> None:
    agent = make_user("agent", name="Marie Lefèvre", signature="^Marie")
    supervisor = make_user("supervisor", name="Sophie Martin")
    month = datetime.now(UTC).replace(day=1)
    previous = datetime(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 10, 9,
                        tzinfo=UTC)
    label = f"{previous.year:04d}-{previous.month:02d}"
    make_reply(agent, at=previous, text="Haha, la modération a la main lourde 😉 ^Marie")
    make_reply(agent, at=previous, text="Bonjour, votre colis arrive demain. ^Marie",
               visibility="private")
    context = browser.new_context(locale="en-GB", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        _log_in(page, live_server, supervisor)
        page.goto(f"{live_server}/review/")
        page.fill("input[name=month]", label)
        page.click(".open-month button")
        page.wait_for_selector("#review-seed")
        review = db.session.scalar(db.select(Review))
        assert review is not None and review.month == label
        assert page.inner_text("#review-seed") == review.seed
        page.screenshot(path=str(screenshots / "review-opened.png"), full_page=True)

        page.click("text=Continue scoring")
        for index in range(2):
            page.wait_for_selector("fieldset.criterion.focused")
            # courtesy 4, accuracy 3, humour (2 or N/A), personal data yes, form 3
            funny = "Haha" in page.inner_text("#sampled-reply")
            for key in ("4", "3", "2" if funny else "n", "1", "3"):
                page.keyboard.press(key)
            if index == 0:
                page.keyboard.press("w")
            page.wait_for_function(
                "() => document.getElementById('save-state').textContent === 'Saved'")
            page.wait_for_function(
                "() => document.getElementById('item-score').textContent !== '—'")
            if index == 0:
                page.screenshot(path=str(screenshots / "review-scoring-keyboard.png"),
                                full_page=True)
                page.keyboard.press("ArrowRight")
                page.wait_for_url("**/review/items/*")
        db.session.expire_all()
        items = list(db.session.scalars(db.select(ReviewItem).order_by(ReviewItem.position)))
        assert all(item.complete for item in items)
        assert sum(item.worth_sharing for item in items) == 1
        assert {tuple(sorted(i.scores.items())) for i in items} == {
            (("accuracy", 3), ("courtesy", 4), ("form", 3), ("humour", 2),
             ("personal_data", 1)),
            (("accuracy", 3), ("courtesy", 4), ("form", 3), ("humour", None),
             ("personal_data", 1))}
        # A half-done state survives a reload: the page shows what was saved.
        page.reload()
        assert page.locator("fieldset.criterion input:checked").count() == 5

        page.goto(f"{live_server}/review/{review.id}")
        page.click("#close-review")
        page.wait_for_selector("text=Reports")
        page.screenshot(path=str(screenshots / "review-committee-closed.png"), full_page=True)

        agent_page = browser.new_context(locale="en-GB").new_page()
        _log_in(agent_page, live_server, agent)
        agent_page.goto(f"{live_server}/review/notifications")
        agent_page.click(f"text=Your report of {label} is ready.")
        agent_page.wait_for_selector("#report-score")
        agent_page.click("#acknowledge")
        first = agent_page.locator(".report-item").first
        first.locator("summary").click()
        first.locator("select[name=criterion]").select_option("form")
        first.locator("input[name=proposed]").fill("2")
        first.locator("input[name=reason]").fill("Same score as three weeks ago? I signed it")
        agent_page.screenshot(path=str(screenshots / "review-agent-dispute.png"),
                              full_page=True)
        first.locator("button").click()
        agent_page.wait_for_selector("text=Dispute sent to the supervisors.")
        agent_page.context.close()
        dispute = db.session.scalar(db.select(Dispute))
        assert dispute is not None and dispute.proposed == 2

        page.goto(f"{live_server}/review/{review.id}/committee")
        form = page.locator(f"#dispute-{dispute.id} form")
        form.locator("input[value=reject]").check()
        form.locator("input[name=answer]").fill("Three points is already the top of the scale.")
        form.locator("button").click()
        page.wait_for_selector("text=Dispute answered.")
        page.screenshot(path=str(screenshots / "review-dispute-answered.png"), full_page=True)
        db.session.expire_all()
        assert db.session.get(Dispute, dispute.id).status == "rejected"  # type: ignore[union-attr]

        page.goto(f"{live_server}/review/trends?agent={agent.id}")
        page.wait_for_selector("#chart-criteria")
        assert page.locator("#table-criteria tbody tr").count() == 1
        page.screenshot(path=str(screenshots / "review-trends.png"), full_page=True)
    finally:
        context.close()
