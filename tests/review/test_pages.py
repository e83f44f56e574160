"""The committee's pages through HTTP: every page renders, bad input gets a message, rights."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import AgentReport, Message, Review, ReviewItem, RubricVersion, User
from app.review import services

NOV = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
FULL = {"c_courtesy": "3", "c_accuracy": "4", "c_humour": "na", "c_personal_data": "1",
        "c_form": "2"}


def _client(app: Flask, login: Callable[..., Any], user: User) -> FlaskClient:
    client = app.test_client()
    assert login(user, c=client).status_code == 302
    return client


def _review(brand_id: int, make_user: Callable[..., User],
            make_reply: Callable[..., Message], replies: int = 3) -> tuple[Review, User]:
    agent = make_user("agent", name="Marie Lefèvre")
    for i in range(replies):
        make_reply(agent, at=NOV, text=f"Haha bien vu 😉 réponse {i} ^Marie")
    return services.open_review(brand_id, "2026-11", now=NOW), agent


def test_supervisor_scores_through_the_pages(
        app: Flask, brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message], login: Callable[..., Any]) -> None:
    review, agent = _review(brand_id, make_user, make_reply)
    sup = _client(app, login, make_user("supervisor"))
    page = sup.get(f"/review/{review.id}").get_data(as_text=True)
    assert review.seed in page and "Marie Lefèvre" in page
    item_id = review.items[0].id
    page = sup.get(f"/review/items/{item_id}").get_data(as_text=True)
    assert 'class="humour"' in page and "Polarity" in page and "data-key=\"courtesy\"" in page
    # Keyboard saves: one criterion at a time, JSON answers.
    answer = sup.post(f"/review/items/{item_id}/score", data={"c_courtesy": "3"},
                      headers={"Accept": "application/json"})
    assert answer.status_code == 200 and answer.json["ok"] and not answer.json["complete"]
    bad = sup.post(f"/review/items/{item_id}/score", data={"c_courtesy": "7"},
                   headers={"Accept": "application/json"})
    assert bad.status_code == 400 and "outside the criterion's scale" in bad.json["error"]
    bad = sup.post(f"/review/items/{item_id}/score", data={"c_courtesy": "na"})
    assert bad.status_code == 400 and "N/A is not allowed" in bad.get_data(as_text=True)
    done = sup.post(f"/review/items/{item_id}/score",
                    data={**FULL, "worth_sharing": ["0", "1"], "comment": "Bien joué"},
                    headers={"Accept": "application/json"})
    assert done.json["complete"] and done.json["worth_sharing"]
    db.session.expire_all()
    item = db.session.get(ReviewItem, item_id)
    assert item is not None and item.comment == "Bien joué" and item.scores["courtesy"] == 3
    # Closing early is refused with a message; then every reply is scored and it closes.
    refused = sup.post(f"/review/{review.id}/close", follow_redirects=True)
    assert "not fully scored" in refused.get_data(as_text=True)
    for other in review.items[1:]:
        sup.post(f"/review/items/{other.id}/score", data=FULL)
    closed = sup.post(f"/review/{review.id}/close", follow_redirects=True)
    assert "reports sent" in closed.get_data(as_text=True)
    late = sup.post(f"/review/items/{item_id}/score", data={"c_courtesy": "1"},
                    headers={"Accept": "application/json"})
    assert late.status_code == 400 and "closed" in late.json["error"]
    exported = sup.get(f"/review/{review.id}/export.csv")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert rows[0][:3] == ["review", "month", "seed"] and len(rows) == 4
    assert rows[1][2] == review.seed
    for path in (f"/review/{review.id}/committee", "/review/", "/review/trends",
                 f"/review/trends?agent={agent.id}", "/review/library", "/review/notifications",
                 "/review/settings"):
        assert sup.get(path).status_code == 200, path
    assert "réponse" in sup.get("/review/library").get_data(as_text=True)


def test_agent_reads_own_report_only_and_disputes(
        app: Flask, brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message], login: Callable[..., Any]) -> None:
    review, agent = _review(brand_id, make_user, make_reply, replies=2)
    supervisor = make_user("supervisor")
    for item in review.items:
        services.score_item(supervisor, item, {k[2:]: v for k, v in FULL.items()})
    services.close_review(supervisor, review)
    report = db.session.scalar(db.select(AgentReport).filter_by(agent_id=agent.id))
    assert report is not None
    other = _client(app, login, make_user("agent"))
    assert other.get(f"/review/reports/{report.id}").status_code == 404
    assert other.post(f"/review/reports/{report.id}/dispute",
                      data={"item_id": review.items[0].id, "criterion": "courtesy",
                            "proposed": "4", "reason": "x"}).status_code == 404
    me = _client(app, login, agent)
    page = me.get(f"/review/reports/{report.id}").get_data(as_text=True)
    assert "90% confidence interval" in page
    assert "Your report of 2026-11 is ready." in me.get("/review/notifications").get_data(
        as_text=True)
    bad = me.post(f"/review/reports/{report.id}/dispute", follow_redirects=True,
                  data={"item_id": review.items[0].id, "criterion": "courtesy",
                        "proposed": "12", "reason": "better"})
    assert "outside the criterion" in bad.get_data(as_text=True)
    ok = me.post(f"/review/reports/{report.id}/dispute", follow_redirects=True,
                 data={"item_id": review.items[0].id, "criterion": "courtesy",
                       "proposed": "4", "reason": "The customer thanked me"})
    assert "Dispute sent" in ok.get_data(as_text=True)
    me.post(f"/review/reports/{report.id}/acknowledge")
    db.session.expire_all()
    assert db.session.get(AgentReport, report.id).acknowledged_at is not None  # type: ignore[union-attr]
    sup = _client(app, login, supervisor)
    page = sup.get(f"/review/{review.id}/committee").get_data(as_text=True)
    assert "The customer thanked me" in page
    dispute_id = int(page.split('id="dispute-')[1].split('"')[0])
    refused = sup.post(f"/review/disputes/{dispute_id}/answer", follow_redirects=True,
                       data={"decision": "accept", "answer": ""})
    assert "A comment is required." in refused.get_data(as_text=True)
    sup.post(f"/review/disputes/{dispute_id}/answer",
             data={"decision": "accept", "answer": "Fair enough"})
    page = me.get(f"/review/reports/{report.id}").get_data(as_text=True)
    assert "Accepted" in page and "Fair enough" in page


def test_rubric_editing_and_its_refusals(
        app: Flask, brand_id: int, make_user: Callable[..., User],
        login: Callable[..., Any]) -> None:
    admin = _client(app, login, make_user("admin"))
    page = admin.get("/review/rubric").get_data(as_text=True)
    assert "Courtesy and tone" in page and "Courtoisie et ton" in page
    empty = admin.post("/review/rubric", data={"rows": "1", "key_0": "", "name_en_0": ""})
    assert empty.status_code == 400
    assert "at least one criterion" in empty.get_data(as_text=True)
    bad = admin.post("/review/rubric", data={
        "rows": "1", "key_0": "tone", "name_en_0": "Tone", "name_fr_0": "Ton",
        "weight_0": "0", "points_0": "4"})
    assert bad.status_code == 400 and "positive number" in bad.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(RubricVersion.id))) == 1
    ok = admin.post("/review/rubric", follow_redirects=True, data={
        "rows": "1", "key_0": "tone", "name_en_0": "Tone", "name_fr_0": "Ton",
        "weight_0": "2,5", "points_0": "5", "critical_0": "1"})
    assert "version 2" in ok.get_data(as_text=True)
    version = db.session.scalar(db.select(RubricVersion).filter_by(version=2))
    assert version is not None and version.criteria[0]["weight"] == 2.5


def test_settings_page_refuses_bad_size(app: Flask, brand_id: int,
                                        make_user: Callable[..., User],
                                        login: Callable[..., Any]) -> None:
    sup = _client(app, login, make_user("supervisor"))
    bad = sup.post("/review/settings", data={"brand_id": brand_id, "sample_size": "-3"})
    assert bad.status_code == 400 and "from 1 to 100" in bad.get_data(as_text=True)
    sup.post("/review/settings", data={"brand_id": brand_id, "sample_size": "12"})
    assert services.settings_for(brand_id).sample_size == 12


def test_open_a_month_from_the_page(app: Flask, brand_id: int,
                                    make_user: Callable[..., User],
                                    make_reply: Callable[..., Message],
                                    login: Callable[..., Any]) -> None:
    make_reply(make_user("agent"), at=datetime(2026, 10, 3, 10, tzinfo=UTC))
    sup = _client(app, login, make_user("supervisor"))
    bad = sup.post("/review/open", data={"brand_id": brand_id, "month": "10/2026"},
                   follow_redirects=True)
    assert "YYYY-MM" in bad.get_data(as_text=True)
    sup.post("/review/open", data={"brand_id": brand_id, "month": "2026-10"})
    again = sup.post("/review/open", data={"brand_id": brand_id, "month": "2026-10"},
                     follow_redirects=True)
    assert "already open" in again.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Review.id))) == 1


def test_cli_opens_a_past_month(app: Flask, brand_id: int, make_user: Callable[..., User],
                                make_reply: Callable[..., Message]) -> None:
    make_reply(make_user("agent"), at=datetime(2026, 10, 3, 10, tzinfo=UTC))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["review", "open", "2026-10", "--seed", "cli-seed"])
    assert result.exit_code == 0, result.output
    assert "seed cli-seed" in result.output
    result = runner.invoke(args=["review", "open", "2026-10"])
    assert result.exit_code == 1 and "exists" in result.output
    result = runner.invoke(args=["review", "open", "October"])
    assert result.exit_code == 1 and "bad_month" in result.output


def test_calibration_page_is_blind_until_submitted(
        app: Flask, brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message], login: Callable[..., Any]) -> None:
    review, _agent = _review(brand_id, make_user, make_reply, replies=1)
    s1, s2 = make_user("supervisor", name="Sophie One"), make_user("supervisor", name="Paul Two")
    item = review.items[0]
    services.set_calibration(s1, item, True)
    services.calibrate(s1, item, {k[2:]: v for k, v in FULL.items()}, submit=True)
    c2 = _client(app, login, s2)
    page = c2.get(f"/review/items/{item.id}/calibrate").get_data(as_text=True)
    assert "Sophie One" not in page
    bad = c2.post(f"/review/items/{item.id}/calibrate", data={"c_courtesy": "2", "submit": "1"})
    assert bad.status_code == 400 and "Score every criterion" in bad.get_data(as_text=True)
    c2.post(f"/review/items/{item.id}/calibrate", data={**FULL, "c_courtesy": "1",
                                                        "submit": "1"})
    page = c2.get(f"/review/items/{item.id}/calibrate").get_data(as_text=True)
    assert "Sophie One" in page
    committee = c2.get(f"/review/{review.id}/committee").get_data(as_text=True)
    assert "Krippendorff" in committee


def test_pages_in_french(app: Flask, brand_id: int, make_user: Callable[..., User],
                         make_reply: Callable[..., Message], login: Callable[..., Any]) -> None:
    review, _agent = _review(brand_id, make_user, make_reply, replies=1)
    sup = _client(app, login, make_user("supervisor", locale="fr"))
    page = sup.get(f"/review/items/{review.items[0].id}").get_data(as_text=True)
    assert "Courtoisie et ton" in page and "Aides (jamais une note)" in page
    bad = sup.post(f"/review/items/{review.items[0].id}/score", data={"c_courtesy": "9"})
    assert "hors de l&#39;échelle du critère" in bad.get_data(as_text=True)
    assert "Revue de 2026-11" in sup.get(f"/review/{review.id}").get_data(as_text=True)


def test_a_sampled_reply_shows_the_customer_satisfaction_of_its_thread(
        app: Flask, brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message], login: Callable[..., Any]) -> None:
    from datetime import date, timedelta

    from app.models import Survey, Thread

    review, _agent = _review(brand_id, make_user, make_reply, replies=1)
    item = review.items[0]
    thread = db.session.get(Thread, item.message.thread_id)
    assert thread is not None
    sup = _client(app, login, make_user("supervisor"))
    page = sup.get(f"/review/items/{item.id}").get_data(as_text=True)
    assert "Satisfaction survey" not in page  # no answered survey yet
    comment = "Rapide, merci ! appelez-moi au 06 12 34 56 78"
    db.session.add(Survey(
        thread_id=thread.id, brand_id=brand_id, channel_id=thread.channel_id,
        author_id=thread.author_id, language="fr", state="answered", day=date(2026, 11, 13),
        created_at=NOV, expires_at=NOV + timedelta(days=14), answered_at=NOV,
        speed=5, listening=4, resolution=3, comment=comment,
        comment_pii=[{"kind": "phone", "start": comment.index("06"), "end": len(comment)}]))
    db.session.commit()
    page = sup.get(f"/review/items/{item.id}").get_data(as_text=True)
    assert "speed 5/5, listening 4/5, resolution 3/5" in page
    assert "Rapide, merci" in page and "06 12 34 56 78" not in page and "[phone]" in page
