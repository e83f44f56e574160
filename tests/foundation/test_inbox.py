"""The first inbox: ordering, keyset pagination, filters, thread page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from app.extensions import db
from app.inbox.queries import BadCursor, InboxFilters, decode_cursor, list_threads
from app.models import Message, Thread, User, utcnow


@pytest.fixture
def agent_client(client: FlaskClient, make_user: Callable[..., User],
                 login: Callable[..., Any]) -> FlaskClient:
    login(make_user("agent"))
    return client


def _ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-thread-id="(\d+)"', html)]


def test_most_urgent_first_then_newest(agent_client: FlaskClient,
                                       make_thread: Callable[..., Thread]) -> None:
    low = make_thread("thanks", priority=10)
    high = make_thread("hacked!!", priority=90)
    mid = make_thread("parcel?", priority=50)
    assert _ids(agent_client.get("/inbox").get_data(as_text=True)) == [high.id, mid.id, low.id]
    now = utcnow()
    for offset, thread in enumerate((low, high, mid)):
        thread.last_message_at = now - timedelta(minutes=offset)
    db.session.commit()
    html = agent_client.get("/inbox?sort=recent").get_data(as_text=True)
    assert _ids(html) == [low.id, high.id, mid.id]


@pytest.mark.parametrize("sort", ["priority", "recent"])
def test_keyset_pagination_visits_every_thread_once(app: Flask, sort: str,
                                                    make_thread: Callable[..., Thread],
                                                    make_channel: Callable[..., Any]) -> None:
    channel = make_channel()
    base = utcnow()
    made = [make_thread(f"question {i}", channel=channel, priority=float(i % 4) * 10,
                        last_message_at=base - timedelta(seconds=i % 3)) for i in range(23)]
    filters = InboxFilters(sort=sort)
    seen: list[int] = []
    after = None
    for _ in range(10):
        page, after = list_threads(filters, after, limit=5)
        seen.extend(t.id for t in page)
        if after is None:
            break
    assert sorted(seen) == sorted(t.id for t in made)
    assert len(seen) == len(set(seen))


def test_pagination_uses_no_offset(app: Flask, make_thread: Callable[..., Thread]) -> None:
    for i in range(4):
        make_thread(f"q{i}", priority=float(i))
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_args: Any) -> None:
        statements.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        _first, after = list_threads(InboxFilters(), None, limit=2)
        list_threads(InboxFilters(), after, limit=2)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert statements
    for statement, params in statements:
        if "OFFSET" in statement.upper():
            # SQLite always renders "LIMIT ? OFFSET ?"; the offset must then be zero.
            assert statement.rstrip().upper().endswith("OFFSET ?") and params[-1] == 0


def test_filters_by_status_and_channel(agent_client: FlaskClient,
                                       make_thread: Callable[..., Thread],
                                       make_channel: Callable[..., Any]) -> None:
    x = make_channel("x")
    fb = make_channel("facebook")
    a = make_thread("a", channel=x, status="new")
    b = make_thread("b", channel=fb, status="open")
    c = make_thread("c", channel=x, status="resolved")
    assert set(_ids(agent_client.get("/inbox").get_data(as_text=True))) == {a.id, b.id}
    assert _ids(agent_client.get("/inbox?status=resolved").get_data(as_text=True)) == [c.id]
    html = agent_client.get(f"/inbox?status=all&channel={fb.id}").get_data(as_text=True)
    assert _ids(html) == [b.id]


def test_bad_filters_are_reported_not_crashing(agent_client: FlaskClient,
                                               make_thread: Callable[..., Thread]) -> None:
    make_thread("x")
    response = agent_client.get("/inbox?status=bogus&channel=abc&sort=sideways")
    assert response.status_code == 200
    assert "were not understood" in response.get_data(as_text=True)
    garbage = agent_client.get("/inbox?after=!!notacursor")
    assert garbage.status_code == 302


def test_cursor_decoding_rejects_garbage() -> None:
    with pytest.raises(BadCursor):
        decode_cursor("bm90IGpzb24", "priority")
    with pytest.raises(BadCursor):
        decode_cursor("WyJ4IiwgImEiXQ", "priority")


def test_thread_page_lists_messages_in_order_with_author(
    agent_client: FlaskClient, make_thread: Callable[..., Thread], make_user: Callable[..., User]
) -> None:
    thread = make_thread("Mon colis n'est jamais arrivé", priority=40)
    thread.author.followers = 12345
    thread.author.segment = "professional"
    agent = make_user("agent", name="Marie Lefèvre")
    later = utcnow() + timedelta(minutes=5)
    db.session.add(Message(thread=thread, channel_id=thread.channel_id, platform_id="r1",
                           direction="out", kind="reply", text="On regarde ça ^Marie",
                           agent=agent, platform_created_at=later, send_state="sent"))
    db.session.commit()
    html = agent_client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    assert html.index("jamais arrivé") < html.index("On regarde ça")
    assert f"@{thread.author.handle}" in html
    assert "12,345" in html
    assert "Professional" in html
    assert "Marie Lefèvre" in html


def test_author_history_links_earlier_threads(agent_client: FlaskClient,
                                              make_thread: Callable[..., Thread]) -> None:
    first = make_thread("first question", status="resolved")
    second = make_thread("back again", author=first.author, channel=first.channel)
    html = agent_client.get(f"/inbox/threads/{second.id}").get_data(as_text=True)
    assert f"/inbox/threads/{first.id}" in html


def test_least_time_left_first(app: Flask, agent_client: FlaskClient,
                               make_thread: Callable[..., Thread]) -> None:
    now = utcnow()
    later = make_thread("later", first_response_due=now + timedelta(hours=3))
    late = make_thread("late", first_response_due=now - timedelta(minutes=5))
    soon = make_thread("soon", first_response_due=now + timedelta(minutes=20))
    answered = make_thread("answered", first_response_due=now - timedelta(hours=1),
                           first_response_at=now - timedelta(minutes=50),
                           resolution_due=now + timedelta(hours=1))
    no_clock = make_thread("no clock")
    html = agent_client.get("/inbox?sort=sla").get_data(as_text=True)
    assert _ids(html) == [late.id, soon.id, answered.id, later.id, no_clock.id]
    seen: list[int] = []
    after = None
    while True:
        page, after = list_threads(InboxFilters(sort="sla"), after, limit=2)
        seen.extend(t.id for t in page)
        if after is None:
            break
    assert seen == [late.id, soon.id, answered.id, later.id, no_clock.id]
    late.status = "resolved"
    db.session.commit()
    ids = _ids(agent_client.get("/inbox?sort=sla&status=all").get_data(as_text=True))
    assert ids.index(late.id) > ids.index(later.id)  # no clock runs on a resolved thread
