"""The demo shows the committee at work: two closed reviews with reports, an open one."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from app.demo.services import seed_demo
from app.extensions import db
from app.models import AgentReport, Message, Review, User
from app.review import queries


def test_demo_has_closed_reviews_and_an_open_one(app: Flask, tmp_path: Path) -> None:
    seed_demo(tmp_path)
    reviews = list(db.session.scalars(db.select(Review).order_by(Review.month)))
    assert [r.status for r in reviews] == ["closed", "closed", "open"]
    agents = list(db.session.scalars(db.select(User).filter_by(role="agent")))
    assert len(agents) == 2
    for agent in agents:
        reports = list(db.session.scalars(db.select(AgentReport).filter_by(agent_id=agent.id)))
        assert len(reports) == 2
        assert all(r.score is not None and r.replies == 10 for r in reports)
        # A trend, not a dot: one point per closed month.
        trend = queries.agent_trend(agent.id)
        assert trend.months == [reviews[0].month, reviews[1].month]
        assert all(point is not None for point in trend.score)
    team = queries.team_trend()
    assert team.months == [reviews[0].month, reviews[1].month]
    # Acknowledgements of a move to private exist in the history but are never sampled.
    acks = set(db.session.scalars(db.select(Message.id).filter_by(is_acknowledgement=True)))
    assert acks
    assert not acks & {i.message_id for r in reviews for i in r.items}
    assert any(i.stratum.startswith("private/") for i in reviews[0].items)
    assert any(i.stratum.endswith("/humour") for i in reviews[0].items)
    messages = db.session.scalar(db.select(db.func.count(Message.id)))
    second = seed_demo(tmp_path)
    assert second.created_threads == 0
    assert db.session.scalar(db.select(db.func.count(Review.id))) == 3
    assert db.session.scalar(db.select(db.func.count(Message.id))) == messages
