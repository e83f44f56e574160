"""The page header's figures: declared by their features, read together once per page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import event

from app.extensions import db
from app.models import RealtimeEvent, ReviewNotification, User, utcnow
from app.realtime.publish import INBOX_ROOM


def _statements(app: Any, client: FlaskClient, path: str) -> tuple[str, list[str]]:
    seen: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.lower())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        page = client.get(path).get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return page, seen


def test_live_sequence_and_unread_come_in_one_statement(
        app: Any, client: FlaskClient, make_user: Callable[..., User],
        login: Callable[..., Any]) -> None:
    agent = make_user("agent")
    with app.app_context():
        db.session.add_all([
            ReviewNotification(user_id=agent.id, kind="report_ready", params={}, link="/review/"),
            ReviewNotification(user_id=agent.id, kind="report_ready", params={}, link="/review/"),
            ReviewNotification(user_id=agent.id, kind="report_ready", params={}, link="/review/",
                               read_at=utcnow()),
            RealtimeEvent(name="probe", room=INBOX_ROOM, payload={}, created_at=utcnow()),
        ])
        db.session.commit()
        newest = db.session.scalar(db.select(db.func.max(RealtimeEvent.id)))
    login(agent)
    page, statements = _statements(app, client, "/inbox")
    assert f'data-seq="{newest}"' in page
    assert re.search(r'id="nav-review-unread">2<', page)
    header = [s for s in statements if "realtime_events" in s or "review_notifications" in s]
    assert len(header) == 1 and "review_notifications" in header[0] \
        and "realtime_events" in header[0]


def test_a_role_without_the_committee_reads_only_the_sequence(
        app: Any, client: FlaskClient, make_user: Callable[..., User],
        login: Callable[..., Any]) -> None:
    login(make_user("brand"))
    page, statements = _statements(app, client, "/dashboard/")
    assert "data-seq=" in page and "nav-review-unread" not in page
    header = [s for s in statements if "realtime_events" in s or "review_notifications" in s]
    assert len(header) == 1 and "review_notifications" not in header[0]
