"""The declared monthly job opens last month's review, once, from the scheduler's list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask
from freezegun import freeze_time

from app.extensions import db
from app.jobs.registry import JOBS, build_scheduler
from app.models import Message, Review, User


def test_monthly_job_is_declared_and_opens_once(
        app: Flask, brand_id: int, make_user: Callable[..., User],
        make_reply: Callable[..., Message]) -> None:
    spec = next(s for s in JOBS if s.id == "review.monthly")
    assert spec.seconds <= 3600 and spec.doc
    assert "review.monthly" in {job.id for job in build_scheduler(app).get_jobs()}
    make_reply(make_user("agent"), at=datetime(2026, 11, 20, 15, tzinfo=UTC))
    with freeze_time("2026-12-01 00:10:00"):  # 01:10 in Paris on the 1st
        spec.func()
        spec.func()
    reviews = list(db.session.scalars(db.select(Review)))
    assert [r.month for r in reviews] == ["2026-11"]
