"""The committee's use cases: open exactly once, the draw stored, scoring, closing, disputes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from app.models import (
    AgentReport,
    AuditEvent,
    Brand,
    Channel,
    Dispute,
    Message,
    Review,
    ReviewItem,
    ReviewNotification,
    User,
)
from app.review import services
from app.review.services import ReviewError

NOV = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _open(brand_id: int, month: str = "2026-11", **kw: Any) -> Review:
    return services.open_review(brand_id, month, now=NOW, **kw)


def _score_all(actor: User, review: Review, value: int = 3) -> None:
    for item in review.items:
        values: dict[str, object] = {}
        for c in review.rubric.criteria:
            values[c["key"]] = 1 if c["points"] == 2 else min(value, c["points"])
        services.score_item(actor, item, values)


def test_open_draws_and_keeps_the_seed(brand_id: int, make_user: Callable[..., User],
                                       make_reply: Callable[..., Message]) -> None:
    agent = make_user("agent")
    replies = [make_reply(agent, at=NOV, text=f"Réponse {i} ^A") for i in range(14)]
    review = _open(brand_id, seed="abc123")
    assert review.seed == "abc123"
    assert len(review.items) == 10
    assert {i.message_id for i in review.items} <= {r.id for r in replies}
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="review.open"))
    assert event is not None and event.details["seed"] == "abc123"


def test_acknowledgements_and_other_months_are_not_sampled(
        brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message]) -> None:
    agent = make_user("agent")
    kept = make_reply(agent, at=NOV)
    make_reply(agent, at=NOV, text="Nous vous avons envoyé un message privé.",
               acknowledgement=True)
    make_reply(agent, at=datetime(2026, 10, 31, 22, 30, tzinfo=UTC))  # 31 Oct 23:30 Paris
    make_reply(agent, at=datetime(2026, 11, 30, 23, 30, tzinfo=UTC))  # 1 Dec 00:30 Paris
    inside = make_reply(agent, at=datetime(2026, 10, 31, 23, 30, tzinfo=UTC))  # 1 Nov 00:30
    review = _open(brand_id)
    assert {i.message_id for i in review.items} == {kept.id, inside.id}


def test_same_seed_same_draw_after_reopening(brand_id: int, make_user: Callable[..., User],
                                             make_reply: Callable[..., Message]) -> None:
    agents = [make_user("agent") for _ in range(3)]
    for i in range(60):
        make_reply(agents[i % 3], at=NOV, text="Haha 😉" if i % 7 == 0 else "Bonjour.",
                   visibility="private" if i % 4 == 0 else "public")
    first = _open(brand_id, seed="s33d")
    picked = sorted(i.message_id for i in first.items)
    for item in first.items:
        db.session.delete(item)
    db.session.delete(first)
    db.session.commit()
    again = _open(brand_id, seed="s33d")
    assert sorted(i.message_id for i in again.items) == picked


def test_opened_once_even_when_asked_twice(brand_id: int, make_user: Callable[..., User],
                                           make_reply: Callable[..., Message]) -> None:
    make_reply(make_user("agent"), at=NOV)
    _open(brand_id)
    with pytest.raises(ReviewError) as info:
        _open(brand_id)
    assert info.value.code == "exists"
    assert db.session.scalar(db.select(db.func.count(Review.id))) == 1


def test_month_not_over_and_bad_month_are_refused(brand_id: int) -> None:
    for month, code in (("2026-12", "month_not_over"), ("2026-13", "bad_month"),
                        ("nov", "bad_month"), ("", "bad_month")):
        with pytest.raises(ReviewError) as info:
            services.open_review(brand_id, month, now=NOW)
        assert info.value.code == code
    assert db.session.scalar(db.select(db.func.count(Review.id))) == 0


def test_monthly_job_follows_the_brand_clock_and_catches_up(
        brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message]) -> None:
    make_reply(make_user("agent"), at=NOV)
    # 30 Nov 23:30 in Paris: still November there, nothing to open (October had no reply).
    outcome = services.open_due_reviews(datetime(2026, 11, 30, 22, 30, tzinfo=UTC))
    assert outcome.opened == []
    # 1 Dec 00:30 in Paris (23:30 UTC on the 30th): November's review opens.
    outcome = services.open_due_reviews(datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    assert len(outcome.opened) == 1
    # A scheduler down on the 1st comes back on the 19th: nothing more to do, nothing twice.
    assert services.open_due_reviews(datetime(2026, 12, 19, 8, 0, tzinfo=UTC)).opened == []
    assert db.session.scalar(db.select(db.func.count(Review.id))) == 1


def test_catch_up_after_downtime_with_a_frozen_clock(
        brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message]) -> None:
    from freezegun import freeze_time

    make_reply(make_user("agent"), at=NOV)
    with freeze_time("2026-12-19 08:00:00"):  # the scheduler comes back mid-December
        outcome = services.open_due_reviews()
    assert len(outcome.opened) == 1
    review = db.session.get(Review, outcome.opened[0])
    assert review is not None and review.month == "2026-11"


def test_three_schedulers_at_once_open_one_review(
        app: Flask, brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message]) -> None:
    agent = make_user("agent")
    for _ in range(30):
        make_reply(agent, at=NOV)
    db.session.remove()
    barrier = threading.Barrier(3)
    results: list[Any] = []

    def scheduler() -> None:
        with app.app_context():
            barrier.wait()
            try:
                results.append(services.open_due_reviews(NOW).opened)
            except Exception as exc:
                results.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=scheduler) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(isinstance(r, list) for r in results), results
    assert sum(len(r) for r in results) == 1
    assert db.session.scalar(db.select(db.func.count(Review.id))) == 1
    assert db.session.scalar(db.select(db.func.count(ReviewItem.id))) == 10


def test_swap_needs_a_reason_and_keeps_the_stratum(
        brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message]) -> None:
    supervisor, agent = make_user("supervisor"), make_user("agent")
    for _ in range(15):
        make_reply(agent, at=NOV)
    review = _open(brand_id, seed="x")
    item = review.items[0]
    with pytest.raises(ReviewError) as info:
        services.swap_item(supervisor, item, "  ")
    assert info.value.code == "reason_required"
    old, stratum = item.message_id, item.stratum
    services.swap_item(supervisor, item, "test message by the agent")
    assert item.message_id != old and item.stratum == stratum
    assert old in review.excluded
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="review.swap"))
    assert event is not None
    assert event.details["reason"] == "test message by the agent"
    assert event.details["removed_message_id"] == old


def test_redraw_needs_a_reason_and_no_score(brand_id: int, make_user: Callable[..., User],
                                            make_reply: Callable[..., Message]) -> None:
    supervisor, agent = make_user("supervisor"), make_user("agent")
    for _ in range(15):
        make_reply(agent, at=NOV)
    review = _open(brand_id, seed="first")
    with pytest.raises(ReviewError):
        services.redraw(supervisor, review, "")
    services.redraw(supervisor, review, "the October campaign was left out")
    assert review.seed != "first" and review.draws == 2
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="review.redraw"))
    assert event is not None and event.details["old_seed"] == "first"
    services.score_item(supervisor, review.items[0], {"courtesy": 3})
    with pytest.raises(ReviewError) as info:
        services.redraw(supervisor, review, "again")
    assert info.value.code == "already_scored"


def test_bad_scores_change_nothing(brand_id: int, make_user: Callable[..., User],
                                   make_reply: Callable[..., Message]) -> None:
    supervisor = make_user("supervisor")
    make_reply(make_user("agent"), at=NOV)
    item = _open(brand_id).items[0]
    services.score_item(supervisor, item, {"courtesy": 4})
    for values, code in (({"courtesy": 5}, "out_of_scale"), ({"courtesy": 0}, "out_of_scale"),
                         ({"courtesy": "na"}, "na_not_allowed"),
                         ({"personal_data": 2}, "out_of_scale"),
                         ({"courtesy": "x"}, "not_a_number"),
                         ({"nope": 1}, "unknown_criterion"),
                         ({"accuracy": 2, "form": 9}, "out_of_scale")):
        with pytest.raises(ReviewError) as info:
            services.score_item(supervisor, item, values)
        assert info.value.code == code
        db.session.rollback()
    db.session.refresh(item)
    assert item.scores == {"courtesy": 4}


def test_half_done_item_keeps_its_state_and_scores_by_the_rubric(
        brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message]) -> None:
    supervisor = make_user("supervisor")
    make_reply(make_user("agent"), at=NOV)
    item = _open(brand_id).items[0]
    services.score_item(supervisor, item, {"courtesy": 4, "accuracy": 1})
    db.session.expire_all()
    item = db.session.get(ReviewItem, item.id)
    assert item is not None and item.scores == {"courtesy": 4, "accuracy": 1}
    assert not item.complete
    services.score_item(supervisor, item, {"humour": "na", "personal_data": 1, "form": 2})
    # (2*1 + 2*0 + 1*1 + 1*0.5) / 6, humour N/A out of the denominator.
    assert item.complete and item.score == pytest.approx(3.5 / 6)
    services.score_item(supervisor, item, {"personal_data": 0})  # critical, below half
    assert item.score == 0.0


def _closed(brand_id: int, make_user: Callable[..., User],
            make_reply: Callable[..., Message]) -> tuple[Review, User, User]:
    supervisor, agent = make_user("supervisor"), make_user("agent")
    for _ in range(4):
        make_reply(agent, at=NOV)
    review = _open(brand_id)
    _score_all(supervisor, review)
    services.close_review(supervisor, review)
    return review, supervisor, agent


def test_close_needs_every_reply_scored_then_writes_reports(
        brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message]) -> None:
    supervisor, agent = make_user("supervisor"), make_user("agent")
    for _ in range(3):
        make_reply(agent, at=NOV)
    review = _open(brand_id)
    services.score_item(supervisor, review.items[0], {"courtesy": 3})
    with pytest.raises(ReviewError) as info:
        services.close_review(supervisor, review)
    assert info.value.code == "incomplete" and info.value.detail == 3
    _score_all(supervisor, review)
    (report,) = services.close_review(supervisor, review)
    assert report.agent_id == agent.id and report.replies == 3
    assert report.score is not None and report.ci_low is not None
    assert db.session.scalar(db.select(ReviewNotification).filter_by(
        user_id=agent.id, kind="report_ready")) is not None
    with pytest.raises(ReviewError) as info:
        services.score_item(supervisor, review.items[0], {"courtesy": 1})
    assert info.value.code == "closed"


def test_dispute_flow_accept_changes_the_report(
        brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message]) -> None:
    review, supervisor, agent = _closed(brand_id, make_user, make_reply)
    report = db.session.scalar(db.select(AgentReport).filter_by(agent_id=agent.id))
    assert report is not None
    before = report.score
    item = review.items[0]
    dispute = services.raise_dispute(agent, report, item.id, "courtesy", "4",
                                     "The customer thanked me twice")
    assert dispute.original == 3 and dispute.proposed == 4
    services.answer_dispute(supervisor, dispute, "accept", "Fair, the tone was warm.")
    assert item.scores["courtesy"] == 4
    assert report.score is not None and before is not None and report.score > before
    actions = set(db.session.scalars(db.select(AuditEvent.action)))
    assert {"review.dispute", "review.dispute_answer"} <= actions


def test_dispute_refusals(brand_id: int, make_user: Callable[..., User],
                          make_reply: Callable[..., Message]) -> None:
    review, supervisor, agent = _closed(brand_id, make_user, make_reply)
    other = make_user("agent")
    report = db.session.scalar(db.select(AgentReport).filter_by(agent_id=agent.id))
    assert report is not None
    item = review.items[0]
    cases = [
        (other, item.id, "courtesy", "4", "mine", "not_your_report"),
        (agent, item.id, "courtesy", "9", "because", "out_of_scale"),
        (agent, item.id, "courtesy", "3", "because", "same_score"),
        (agent, item.id, "courtesy", "na", "because", "na_not_allowed"),
        (agent, item.id, "nope", "1", "because", "unknown_criterion"),
        (agent, 999999, "courtesy", "4", "because", "not_your_reply"),
        (agent, item.id, "courtesy", "4", "", "reason_required"),
    ]
    for actor, item_id, criterion, proposed, reason, code in cases:
        with pytest.raises(ReviewError) as info:
            services.raise_dispute(actor, report, item_id, criterion, proposed, reason)
        assert info.value.code == code, code
        db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Dispute.id))) == 0
    dispute = services.raise_dispute(agent, report, item.id, "courtesy", "4", "because")
    with pytest.raises(ReviewError):
        services.answer_dispute(supervisor, dispute, "reject", "")
    db.session.rollback()
    services.answer_dispute(supervisor, dispute, "reject", "The tone was curt.")
    assert dispute.final == 3
    with pytest.raises(ReviewError) as info:  # a rejection is final
        services.answer_dispute(supervisor, dispute, "accept", "changed my mind")
    assert info.value.code == "already_answered"
    with pytest.raises(ReviewError) as info:
        services.raise_dispute(agent, report, item.id, "courtesy", "4", "again")
    assert info.value.code == "already_disputed"


def test_partly_accepted_dispute(brand_id: int, make_user: Callable[..., User],
                                 make_reply: Callable[..., Message]) -> None:
    review, supervisor, agent = _closed(brand_id, make_user, make_reply)
    report = db.session.scalar(db.select(AgentReport).filter_by(agent_id=agent.id))
    assert report is not None
    item = review.items[1]
    dispute = services.raise_dispute(agent, report, item.id, "accuracy", "1", "I was wrong")
    with pytest.raises(ReviewError) as info:
        services.answer_dispute(supervisor, dispute, "partly", "half", "1")
    assert info.value.code == "partly_needs_other_value"
    db.session.rollback()
    services.answer_dispute(supervisor, dispute, "partly", "somewhere between", "2")
    assert dispute.status == "partly_accepted" and item.scores["accuracy"] == 2


def test_calibration_is_blind_and_never_counts(
        brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message]) -> None:
    s1, s2 = make_user("supervisor"), make_user("supervisor")
    make_reply(make_user("agent"), at=NOV)
    review = _open(brand_id)
    item = review.items[0]
    with pytest.raises(ReviewError):
        services.calibrate(s1, item, {"courtesy": 2}, submit=False)
    services.set_calibration(s1, item, True)
    services.calibrate(s1, item, {"courtesy": 2}, submit=False)
    with pytest.raises(ReviewError) as info:
        services.calibrate(s1, item, {}, submit=True)
    assert info.value.code == "incomplete_calibration"
    db.session.rollback()
    full = {"courtesy": 1, "accuracy": 1, "humour": "na", "personal_data": 0, "form": 1}
    services.calibrate(s1, item, full, submit=True)
    with pytest.raises(ReviewError) as info:
        services.calibrate(s1, item, full, submit=True)
    assert info.value.code == "already_submitted"
    db.session.rollback()
    services.calibrate(s2, item, {**full, "courtesy": 4, "personal_data": 1}, submit=True)
    assert item.scores == {} and item.score is None  # the official score is untouched
    _score_all(s1, review, 4)
    (report,) = services.close_review(s1, review)
    assert report.score == pytest.approx(1.0)


def test_rubric_versions_keep_past_reviews(brand_id: int, make_user: Callable[..., User],
                                           make_reply: Callable[..., Message]) -> None:
    admin = make_user("admin")
    make_reply(make_user("agent"), at=NOV)
    review = _open(brand_id)
    assert review.rubric.version == 1
    row = {"key": "empathy", "name_en": "Empathy", "name_fr": "Empathie",
           "description_en": "", "description_fr": "", "weight": "1", "points": "5"}
    version = services.save_rubric(admin, brand_id, [row])
    assert version.version == 2
    db.session.expire_all()
    review = db.session.get(Review, review.id)
    assert review is not None and review.rubric.version == 1
    assert review.rubric.criteria[0]["key"] == "courtesy"


def test_settings_sample_size(brand_id: int, make_user: Callable[..., User],
                              make_reply: Callable[..., Message]) -> None:
    admin = make_user("admin")
    agent = make_user("agent")
    for _ in range(8):
        make_reply(agent, at=NOV)
    for bad in ("0", "101", "ten", ""):
        with pytest.raises(ReviewError):
            services.save_settings(admin, brand_id, bad)
    services.save_settings(admin, brand_id, "3")
    assert len(_open(brand_id).items) == 3


def test_second_brand_has_its_own_review(make_user: Callable[..., User],
                                         make_channel: Callable[..., Channel],
                                         make_reply: Callable[..., Message]) -> None:
    other = Brand(name="Other", slug="other", timezone="America/Montreal", settings={})
    db.session.add(other)
    db.session.commit()
    agent = make_user("agent")
    make_reply(agent, at=NOV, channel=make_channel())
    make_reply(agent, at=NOV, channel=make_channel(brand=other))
    # 1 Dec 02:00 UTC: December in Paris, still November in Montreal.
    outcome = services.open_due_reviews(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    assert len(outcome.opened) == 1
    outcome = services.open_due_reviews(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    assert len(outcome.opened) == 1
    assert db.session.scalar(db.select(db.func.count(Review.id))) == 2


def test_neighbours_follow_the_scoring_order(brand_id: int, make_user: Callable[..., User],
                                             make_reply: Callable[..., Message]) -> None:
    from app.review import queries

    for agent in (make_user("agent"), make_user("agent")):
        for _ in range(3):
            make_reply(agent, at=NOV)
    review = _open(brand_id)
    ordered = sorted(review.items, key=lambda i: (i.agent_id, i.position))
    ids = [i.id for i in ordered]
    for at, item in enumerate(ordered):
        previous, following = queries.neighbours(item)
        assert previous == (ids[at - 1] if at else None)
        assert following == (ids[at + 1] if at + 1 < len(ids) else None)
