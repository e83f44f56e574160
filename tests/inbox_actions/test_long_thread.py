"""A long thread opens on its latest messages; the earlier ones are one click away."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from app.extensions import db
from app.inbox import queries
from app.models import Message, Thread, User, utcnow


def _grow(thread: Thread, count: int) -> list[int]:
    """Add ``count`` inbound messages after the thread's first, one minute apart."""
    start = utcnow() - timedelta(days=1)
    messages = [Message(thread_id=thread.id, channel_id=thread.channel_id,
                        platform_id=f"long-{thread.id}-{n}", direction="in", kind="mention",
                        text=f"message number {n}", platform_created_at=start
                        + timedelta(minutes=n), received_at=start + timedelta(minutes=n))
                for n in range(count)]
    db.session.add_all(messages)
    db.session.commit()
    return [m.id for m in messages]


def _shown(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<li class="msg [^"]*" id="m(\d+)"', page)]


def test_a_long_thread_opens_on_its_latest_messages(
        client: FlaskClient, login: Callable[..., Any], make_user: Callable[..., User],
        make_thread: Callable[..., Thread]) -> None:
    login(make_user())
    thread = make_thread(status="open", last_message_at=utcnow() - timedelta(days=2))
    first = thread.messages[0].id
    added = _grow(thread, queries.LATEST_MESSAGES + 4)  # 105 messages in all
    page = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    assert _shown(page) == added[-queries.LATEST_MESSAGES:]  # the latest, oldest first
    link = f'/inbox/threads/{thread.id}?messages=all#m{added[4]}'
    assert f'href="{link}"' in page and "Show the 5 earlier messages" in page
    every = client.get(link.split("#")[0]).get_data(as_text=True)
    assert _shown(every) == [first, *added]
    assert "earlier message" not in every


def test_a_short_thread_shows_everything_without_a_link(
        client: FlaskClient, login: Callable[..., Any], make_user: Callable[..., User],
        make_thread: Callable[..., Thread]) -> None:
    login(make_user())
    thread = make_thread(status="open", last_message_at=utcnow() - timedelta(days=2))
    added = _grow(thread, queries.LATEST_MESSAGES - 1)  # exactly the page's size
    page = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    assert _shown(page) == [thread.messages[0].id, *added]
    assert "earlier message" not in page


def test_the_link_in_french_counts_one_or_many(
        client: FlaskClient, login: Callable[..., Any], make_user: Callable[..., User],
        make_thread: Callable[..., Thread]) -> None:
    login(make_user(locale="fr"))
    one = make_thread(status="open", last_message_at=utcnow() - timedelta(days=2))
    _grow(one, queries.LATEST_MESSAGES)
    many = make_thread(status="open", last_message_at=utcnow() - timedelta(days=2))
    _grow(many, queries.LATEST_MESSAGES + 2)
    assert "Afficher le message précédent" in client.get(
        f"/inbox/threads/{one.id}").get_data(as_text=True)
    assert "Afficher les 3 messages précédents" in client.get(
        f"/inbox/threads/{many.id}").get_data(as_text=True)
