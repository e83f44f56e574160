"""The demo's 90 days of history: the brand user lands on a full, truthful dashboard."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient

from app.dashboard import metrics, queries, upkeep
from app.demo.history import DAYS
from app.demo.services import seed_demo
from app.extensions import db
from app.models import Brand, DayRollup, Message, Thread, User, utcnow
from app.status import services as status


def test_demo_history_fills_the_dashboard_and_the_public_page(
        app: Flask, client: FlaskClient, tmp_path: Path, login: Callable[..., Any],
        make_user: Callable[..., User]) -> None:
    with app.app_context():
        status.clear_cache()
    seed_demo(tmp_path)
    brand = db.session.scalar(db.select(Brand))
    assert brand is not None
    zone = ZoneInfo(brand.timezone)
    history = list(db.session.scalars(db.select(Thread).where(
        Thread.origin_platform_id.like("hist-%"))))
    assert len(history) > 20 * DAYS  # enough for meaningful charts
    assert all(t.status in ("resolved", "closed") for t in history)  # settled: not in the inbox
    # Agents answer in business hours: a mention on a Saturday night waits for the opening.
    weekend_nights = [t for t in history if t.first_response_at is not None
                      and t.created_at.astimezone(zone).weekday() == 5
                      and t.created_at.astimezone(zone).hour >= 21]
    assert weekend_nights
    assert any(t.first_response_at is not None
               and t.first_response_at.astimezone(zone).weekday() in (0, 6)
               for t in weekend_nights)
    # The rollups are the job's own: a rebuild from the raw rows changes nothing.
    def rows() -> list[tuple[Any, ...]]:
        return [(r.channel_id, r.day, r.threads, r.answered, r.frt_n, r.sv_answered)
                for r in db.session.scalars(db.select(DayRollup).order_by(
                    DayRollup.channel_id, DayRollup.day))]

    seeded = rows()
    upkeep.rebuild(brand.id)
    db.session.expire_all()
    assert rows() == seeded
    today = queries.today_of(brand)
    board = queries.load(brand, metrics.preset_range("30d", today), None)
    figures = board.figures
    # Computed as the job leaves them, not "not computed yet" until its first minute.
    assert board.updated_at is not None
    assert figures.threads > 500
    assert figures.answered_share is not None and 0.8 < figures.answered_share < 1
    assert figures.frt_median is not None and figures.frtb_median is not None
    assert figures.moved and figures.loop_closed
    assert figures.surveys_answered > 10
    assert sum(1 for n in figures.categories.values() if n) >= 5
    # The brand user lands on it, with the public page switched on and linked.
    assert db.session.scalar(db.select(User).filter_by(role="brand")) is not None
    login(make_user("brand"))  # the demo's own brand user has a random password
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'id="public-page-link"' in page and f"/status/{brand.slug}" in page
    assert "not computed yet" not in page
    public = client.get(f"/status/{brand.slug}.json").get_json()
    assert public["last_30_days"]["shown"] is True
    assert public["last_30_days"]["answered_share"] > 0.8
    # Survey comments carry personal data in the demo: masked wherever shown.
    assert "06 12 34 56 78" not in page
    # Ninety days back, not more.
    oldest = db.session.scalar(db.select(db.func.min(Message.platform_created_at)).where(
        Message.platform_id.like("hist-%")))
    assert oldest is not None
    assert timedelta(days=DAYS - 1) < utcnow() - oldest <= timedelta(days=DAYS + 1)
    with app.app_context():
        status.clear_cache()
