"""The committee's pages, bullet by bullet of issue 18: a reply in its context with its aids,
every notification, the committee page's agreement and disputes, the library's filters, the
review page's links, the trends' tables."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import AgentReport, Message, Review, ReviewItem, Thread, Ticket, User
from app.review import services

NOV = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
FULL = {"courtesy": "3", "accuracy": "4", "humour": "na", "personal_data": "1", "form": "2"}


def _client(app: Flask, login: Callable[..., Any], user: User) -> FlaskClient:
    client = app.test_client()
    assert login(user, c=client).status_code == 302
    return client


def _inbound(thread: Thread, at: datetime, text: str) -> Message:
    message = Message(thread_id=thread.id, channel_id=thread.channel_id,
                      platform_id=f"in-{thread.id}-{at.timestamp()}", direction="in",
                      kind="reply", text=text, author_id=thread.author_id,
                      platform_created_at=at, received_at=at)
    db.session.add(message)
    db.session.commit()
    return message


def test_a_reply_in_its_context_with_its_aids(
        app: Flask, brand_id: int, make_user: Callable[..., User],
        make_thread: Callable[..., Thread], make_reply: Callable[..., Message],
        login: Callable[..., Any]) -> None:
    agent = make_user("agent", name="Marie Lefèvre", signature="Marie")
    thread = make_thread("Mon colis n'arrive pas", category="delivery",
                         urgency=["blocked_funds"], last_message_at=NOV - timedelta(hours=1))
    _inbound(thread, NOV - timedelta(minutes=30), "Toujours rien, commande 12345678")
    ticket = Ticket(brand_id=brand_id, tracking_number="CARE-2026-000042", segment="private")
    db.session.add(ticket)
    db.session.flush()
    thread.ticket_id = ticket.id
    db.session.commit()
    make_reply(agent, at=NOV, thread=thread,
               text="Haha désolés 😉 écrivez-nous à aide@marketplace.fr ! ^Marie")
    _inbound(thread, NOV + timedelta(hours=1), "Merci, je vous écris")
    _inbound(thread, NOV + timedelta(hours=2), "C'est fait, j'attends")
    review = services.open_review(brand_id, "2026-11", now=NOW)
    item = review.items[0]
    sup = _client(app, login, make_user("supervisor"))
    page = sup.get(f"/review/items/{item.id}").get_data(as_text=True)
    # Context: the customer's messages before it, category, urgency, ticket, what came after.
    assert page.index("Mon colis n&#39;arrive pas") < page.index("Toujours rien")
    assert page.index("Toujours rien") < page.index('id="sampled-reply"')
    assert "Delivery" in page and "CARE-2026-000042" in page
    assert re.search(r'class="tag urgent">[^<]+</span>', page)
    assert "The customer came back 2 times afterwards." in page
    assert "Merci, je vous écris" in page and "C&#39;est fait" not in page  # the next one only
    # Aids, never a score: polarity and subjectivity, personal data, humour, length, signature.
    assert item.polarity is not None and item.subjectivity is not None
    assert f'data-aid="polarity">{item.polarity:.2f}<' in page
    assert f'data-aid="subjectivity">{item.subjectivity:.2f}<' in page
    assert re.search(r'data-aid="pii"><mark class="pii">[^<]*aide@marketplace\.fr', page)
    assert re.search(r'data-aid="humour">.*<mark class="humour">Haha</mark>', page)
    assert "/ 280" in page  # the X channel's limit beside the reply's length
    assert re.search(r"Signature</dt><dd>present<", page)


def test_a_reply_without_signature_nor_follow_up(
        app: Flask, brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message], login: Callable[..., Any]) -> None:
    agent = make_user("agent", name="Tom", signature="Tom")
    make_reply(agent, at=NOV, text="Nous regardons.")
    review = services.open_review(brand_id, "2026-11", now=NOW)
    sup = _client(app, login, make_user("supervisor"))
    page = sup.get(f"/review/items/{review.items[0].id}").get_data(as_text=True)
    assert re.search(r"Signature</dt><dd>missing<", page)
    assert "The customer did not write again afterwards." in page


def test_every_step_notifies_the_right_people(
        app: Flask, brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message], login: Callable[..., Any]) -> None:
    supervisor = make_user("supervisor")
    admin = make_user("admin")
    agent = make_user("agent", name="Marie Lefèvre")
    make_reply(agent, at=NOV, text="Bonjour ^Marie")
    review = services.open_review(brand_id, "2026-11", now=NOW)
    sup = _client(app, login, supervisor)
    assert "The tone committee of 2026-11 is open" in sup.get(
        "/review/notifications").get_data(as_text=True)
    assert "The tone committee of 2026-11 is open" in _client(app, login, admin).get(
        "/review/notifications").get_data(as_text=True)
    me = _client(app, login, agent)
    assert "is open" not in me.get("/review/notifications").get_data(as_text=True)
    services.score_item(supervisor, review.items[0], FULL)
    services.close_review(supervisor, review)
    report = db.session.scalar(db.select(AgentReport).filter_by(agent_id=agent.id))
    assert report is not None
    assert "Your report of 2026-11 is ready." in me.get("/review/notifications").get_data(
        as_text=True)
    dispute = services.raise_dispute(agent, report, review.items[0].id, "courtesy", "4",
                                     "The customer thanked me")
    assert "Marie Lefèvre disputed a score of 2026-11." in sup.get(
        "/review/notifications").get_data(as_text=True)
    services.answer_dispute(supervisor, dispute, "reject", "The tone was curt")
    page = me.get("/review/notifications").get_data(as_text=True)
    assert "Your dispute (2026-11) was rejected." in page
    # The header counts what is unread; reading them clears it.
    assert 'id="nav-review-unread"' in me.get("/review/").get_data(as_text=True)
    me.post("/review/notifications/read")
    assert 'id="nav-review-unread"' not in me.get("/review/").get_data(as_text=True)


def test_committee_page_agreement_and_dispute_rates(
        app: Flask, brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message], login: Callable[..., Any]) -> None:
    agent = make_user("agent", name="Marie Lefèvre")
    for i in range(3):
        make_reply(agent, at=NOV + timedelta(hours=i), text=f"Réponse {i} ^Marie")
    review = services.open_review(brand_id, "2026-11", now=NOW)
    s1 = make_user("supervisor", name="Sophie One")
    s2 = make_user("supervisor", name="Paul Two")
    # Both agree on everything but courtesy, where they are opposed on every reply.
    for n, item in enumerate(review.items):
        services.set_calibration(s1, item, True)
        services.calibrate(s1, item, {**FULL, "courtesy": str(1 + n % 2)}, submit=True)
        services.calibrate(s2, item, {**FULL, "courtesy": str(4 - n % 2)}, submit=True)
    page = _client(app, login, s1).get(f"/review/{review.id}/committee").get_data(
        as_text=True)
    row = page.split('data-criterion="courtesy"')[1].split("</tr>")[0]
    assert "ambiguous" in row
    agreed = page.split('data-criterion="accuracy"')[1].split("</tr>")[0]
    assert "ambiguous" not in agreed
    assert "Replies where supervisors differ most" in page
    assert "Réponse" in page.split("Replies where supervisors differ most")[1]
    # Calibration never counts: the items themselves are still unscored.
    db.session.expire_all()
    assert all(not i.complete for i in db.session.scalars(
        db.select(ReviewItem).filter_by(review_id=review.id)))


def test_review_page_continues_where_scoring_stopped_and_counts_open_disputes(
        app: Flask, brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message], login: Callable[..., Any]) -> None:
    agent = make_user("agent", name="Marie Lefèvre")
    for i in range(3):
        make_reply(agent, at=NOV + timedelta(hours=i), text=f"Réponse {i} ^Marie")
    review = services.open_review(brand_id, "2026-11", now=NOW)
    supervisor = make_user("supervisor")
    items = sorted(review.items, key=lambda i: i.position)
    services.score_item(supervisor, items[0], FULL)
    sup = _client(app, login, supervisor)
    page = sup.get(f"/review/{review.id}").get_data(as_text=True)
    assert f'data-key="s" href="/review/items/{items[1].id}"' in page
    assert 'id="review-progress">1 / 3<' in page
    assert "open disputes" not in page
    for item in items[1:]:
        services.score_item(supervisor, item, FULL)
    services.close_review(supervisor, review)
    report = db.session.scalar(db.select(AgentReport).filter_by(agent_id=agent.id))
    assert report is not None
    disputes = [services.raise_dispute(agent, report, item.id, "courtesy", "4", "Too harsh")
                for item in items[:2]]
    page = sup.get(f"/review/{review.id}").get_data(as_text=True)
    assert "2 open disputes." in page and "Continue scoring" not in page
    # The committee page: per criterion, scores given, disputed, changed.
    services.answer_dispute(supervisor, disputes[0], "accept", "Fair enough")
    committee = sup.get(f"/review/{review.id}/committee").get_data(as_text=True)
    assert "<td>Courtesy and tone</td><td>3</td><td>2</td><td>1</td>" in committee
    assert "<td>Accuracy and usefulness</td><td>3</td><td>0</td><td>0</td>" in committee
    page = sup.get(f"/review/{review.id}").get_data(as_text=True)
    assert "1 open dispute." in page
    unknown = sup.get("/review/999999")
    assert unknown.status_code == 404
    assert sup.get("/review/items/999999").status_code == 404


def test_library_filters_by_category_and_language(
        app: Flask, brand_id: int, make_user: Callable[..., User],
        make_thread: Callable[..., Thread], make_reply: Callable[..., Message],
        login: Callable[..., Any]) -> None:
    agent = make_user("agent", name="Marie Lefèvre")
    delivery = make_thread("Où est mon colis ?", category="delivery",
                           last_message_at=NOV - timedelta(hours=1))
    account = make_thread("Can't log in", category="account",
                          last_message_at=NOV - timedelta(hours=1))
    make_reply(agent, at=NOV, thread=delivery,
               text="Bonjour, votre colis part ce soir, merci de votre patience ^Marie")
    make_reply(agent, at=NOV, thread=account,
               text="Hello, we have reset your access, thanks for waiting ^Marie")
    review = services.open_review(brand_id, "2026-11", now=NOW)
    supervisor = make_user("supervisor")
    for item in review.items:
        services.score_item(supervisor, item, FULL, worth_sharing=True)
    reader = _client(app, login, make_user("agent"))  # any agent reads the library
    both = reader.get("/review/library").get_data(as_text=True)
    assert "votre colis part" in both and "reset your access" in both
    page = reader.get("/review/library?category=delivery").get_data(as_text=True)
    assert "votre colis part" in page and "reset your access" not in page
    page = reader.get("/review/library?language=en").get_data(as_text=True)
    assert "votre colis part" not in page and "reset your access" in page
    odd = reader.get("/review/library?category=%3Cscript%3E&language=xx")
    assert odd.status_code == 200 and "<script>" not in odd.get_data(as_text=True)


def test_trends_show_their_numbers_in_tables(
        app: Flask, brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message], login: Callable[..., Any]) -> None:
    agent = make_user("agent", name="Marie Lefèvre")
    supervisor = make_user("supervisor")
    for month, score in (("2026-10", "4"), ("2026-11", "2")):
        at = datetime(int(month[:4]), int(month[5:]), 10, 10, tzinfo=UTC)
        make_reply(agent, at=at, text="Merci pour votre patience, c'est réglé ^Marie")
        review = services.open_review(brand_id, month, now=NOW)
        services.score_item(supervisor, review.items[0], {**FULL, "courtesy": score})
        services.close_review(supervisor, review)
    me = _client(app, login, agent)
    page = me.get("/review/trends").get_data(as_text=True)
    table = page[page.index("<table"):]
    assert "2026-10" in table and "2026-11" in table
    assert "Average polarity" in page
    assert 'src="/static/js/vendor/chart' in page  # Chart.js, vendored
    team = _client(app, login, supervisor).get(f"/review/trends?agent={agent.id}")
    assert team.status_code == 200 and "Marie Lefèvre" in team.get_data(as_text=True)
    reviews = db.session.scalars(db.select(Review).order_by(Review.month)).all()
    assert [r.status for r in reviews] == ["closed", "closed"]
