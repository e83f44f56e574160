"""The inbox's opening-date filter (the dashboard's links carry their range) and the
urgency bit set kept beside the flags wherever they are written."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.inbox import queries
from app.models import Brand, Channel, Thread, User
from app.models.thread import URGENCY_BITS, bit_sets_with, urgency_bits
from app.threads.state import NewThread


def _paris_brand(make_channel: Callable[..., Channel]) -> Channel:
    channel = make_channel()
    brand = db.session.get(Brand, channel.brand_id)
    assert brand is not None
    brand.timezone = "Europe/Paris"
    db.session.commit()
    return channel


def _ids(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'data-thread-id="(\d+)"', page)}


def test_opened_range_is_inclusive_local_days(
        client: FlaskClient, make_user: Callable[..., User], login: Callable[..., Any],
        make_thread: Callable[..., Thread], make_channel: Callable[..., Channel]) -> None:
    channel = _paris_brand(make_channel)
    # 1 Dec 23:30 UTC is 2 Dec 00:30 in Paris: inside a range starting on the 2nd.
    times = {"before": datetime(2026, 12, 1, 22, 59, tzinfo=UTC),
             "first_minute": datetime(2026, 12, 1, 23, 30, tzinfo=UTC),
             "last_day": datetime(2026, 12, 3, 22, 30, tzinfo=UTC),  # 3 Dec 23:30 Paris
             "after": datetime(2026, 12, 3, 23, 0, tzinfo=UTC)}  # 4 Dec 00:00 Paris
    made = {name: make_thread(channel=channel, last_message_at=at, status="closed").id
            for name, at in times.items()}
    login(make_user("agent"))
    page = client.get("/inbox?status=all&opened_from=2026-12-02&opened_to=2026-12-03")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert _ids(text) == {made["first_minute"], made["last_day"]}
    # Shown in the filter bar with a way to clear it, and in the date inputs.
    assert 'id="opened-chip"' in text and 'value="2026-12-02"' in text
    chip = re.search(r'id="opened-chip".*?href="([^"]+)"', text, re.S)
    assert chip is not None
    cleared = parse_qs(urlsplit(html.unescape(chip.group(1))).query)
    assert cleared == {"status": ["all"]}
    # One side only.
    page = client.get("/inbox?status=all&opened_from=2026-12-02").get_data(as_text=True)
    assert _ids(page) == {made["first_minute"], made["last_day"], made["after"]}
    page = client.get("/inbox?status=all&opened_to=2026-12-01").get_data(as_text=True)
    assert _ids(page) == {made["before"]}


@pytest.mark.parametrize(("query", "message"), [
    ("opened_from=2026-12-05&opened_to=2026-12-01", "reversed"),
    ("opened_from=2026-13-45", "is not a date"),
    ("opened_to=yesterday", "is not a date"),
    ("opened_from=2026-12-01T10:00", "is not a date"),
    ("opened_from=" + "9" * 300, "is not a date"),
])
def test_bad_opened_dates_say_so_and_are_ignored(
        client: FlaskClient, make_user: Callable[..., User], login: Callable[..., Any],
        make_thread: Callable[..., Thread], make_channel: Callable[..., Channel],
        query: str, message: str) -> None:
    channel = _paris_brand(make_channel)
    thread = make_thread(channel=channel, status="closed",
                         last_message_at=datetime(2026, 11, 1, tzinfo=UTC))
    login(make_user("agent"))
    page = client.get(f"/inbox?status=all&{query}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="date-filter-error"' in text and message in html.unescape(text)
    assert _ids(text) == {thread.id}  # the filter is ignored, the list still shows
    assert "opened-chip" not in text


def test_opened_dates_in_french(
        client: FlaskClient, make_user: Callable[..., User], login: Callable[..., Any],
        make_channel: Callable[..., Channel]) -> None:
    _paris_brand(make_channel)
    login(make_user("agent", locale="fr"))
    text = html.unescape(client.get(
        "/inbox?opened_from=2026-12-05&opened_to=2026-12-01").get_data(as_text=True))
    assert "inversées" in text


def test_dashboard_links_carry_the_range_and_channel(
        client: FlaskClient, make_user: Callable[..., User], login: Callable[..., Any],
        make_channel: Callable[..., Channel]) -> None:
    channel = _paris_brand(make_channel)
    login(make_user("supervisor"))
    today = datetime.now(UTC).date()
    start = today - timedelta(days=10)
    page = client.get(f"/dashboard?start={start}&end={today}&channel={channel.id}")
    assert page.status_code == 200
    # The figures' links (the header's plain "Inbox" link is not one).
    links = [html.unescape(h) for h in re.findall(r'href="(/inbox\?[^"]*)"',
                                                  page.get_data(as_text=True))]
    assert len(links) >= 4  # threads, mentions, answered, SLA, sentiment, categories...
    for link in links:
        args = parse_qs(urlsplit(link).query)
        assert args["opened_from"] == [start.isoformat()], link
        assert args["opened_to"] == [today.isoformat()], link
        assert args["channel"] == [str(channel.id)], link
    # And the inbox reads them back without complaint.
    agent_page = client.get(links[0]).get_data(as_text=True)
    assert "date-filter-error" not in agent_page and "opened-chip" in agent_page


def test_urgency_bits_follow_every_write(
        app: Any, make_thread: Callable[..., Thread]) -> None:
    thread = make_thread(urgency=["scam"])
    assert thread.urgency_bits == URGENCY_BITS["scam"]
    thread.urgency = ["scam", "safety"]  # a correction, a customer's new message
    db.session.commit()
    stored = db.session.execute(db.select(Thread.urgency_bits).where(
        Thread.id == thread.id)).scalar_one()
    assert stored == URGENCY_BITS["scam"] | URGENCY_BITS["safety"]
    draft = NewThread(channel_id=1, author_id=1, origin_platform_id="x", subject="",
                      created_at=thread.created_at, last_message_at=thread.created_at,
                      visibility="public", urgency=["abuse"])
    assert draft.row()["urgency_bits"] == URGENCY_BITS["abuse"]  # ingest's Core insert
    assert urgency_bits(None) == 0 and urgency_bits(["unknown"]) == 0
    assert all(v & URGENCY_BITS["scam"] for v in bit_sets_with("scam"))
    assert len(bit_sets_with("scam")) == 2 ** (len(URGENCY_BITS) - 1)


def test_urgency_filter_reads_the_bits(
        app: Any, make_thread: Callable[..., Thread], make_user: Callable[..., User]) -> None:
    scam = make_thread(urgency=["scam", "abuse"])
    safety = make_thread(urgency=["safety"])
    plain = make_thread()
    me = make_user().id

    def shown(urgency: str) -> set[int]:
        rows, _next = queries.list_threads(queries.InboxFilters(urgency=urgency, me=me))
        return {t.id for t in rows}

    assert shown("scam") == {scam.id} and shown("abuse") == {scam.id}
    assert shown("safety") == {safety.id}
    assert shown("any") == {scam.id, safety.id} and plain.id not in shown("any")
    assert queries.bounded_count(queries.InboxFilters(urgency="any", me=me)) == 2
