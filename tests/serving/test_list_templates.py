"""The inbox rows and a thread's messages are rendered by one template each for the whole
list (not one include per item); the live pages' fragments come from the same template and
must read exactly as the item does in the page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from app.extensions import db
from app.models import Message, Thread, User, utcnow


def _squash(html: str) -> str:
    return re.sub(r"\s+", " ", html).strip()


def _item(page: str, marker: str) -> str:
    """The ``<li …>`` of ``page`` whose tag holds ``marker``, up to its own ``</li>``."""
    begin = page.rfind("<li", 0, page.index(marker))
    depth = 0
    for match in re.finditer(r"<li\b|</li>", page[begin:]):
        depth += 1 if match.group(0) != "</li>" else -1
        if depth == 0:
            return page[begin:begin + match.end()]
    raise AssertionError(f"no closed <li> around {marker}")


def test_row_fragment_reads_as_the_page_row(
        client: FlaskClient, login: Callable[..., Any], make_user: Callable[..., User],
        make_thread: Callable[..., Thread]) -> None:
    agent = make_user()
    login(agent)
    thread = make_thread(status="open", urgency=["scam"], category="delivery", priority=80.0)
    other = make_thread(status="new")
    page = client.get("/inbox").get_data(as_text=True)
    for item in (thread, other):
        row = _item(page, f'data-thread-id="{item.id}" data-sort-key=')
        fragment = client.get(f"/inbox/rows/{item.id}").get_data(as_text=True)
        assert _squash(fragment) == _squash(row)
        assert f'href="/inbox/threads/{item.id}"' in fragment
    assert "Priority 80 of 100" in page


def test_message_fragment_reads_as_the_page_message(
        client: FlaskClient, login: Callable[..., Any], make_user: Callable[..., User],
        make_thread: Callable[..., Thread]) -> None:
    agent = make_user(name="Agent Smith")
    login(agent)
    thread = make_thread(status="open")
    now = utcnow()
    reply = Message(thread_id=thread.id, channel_id=thread.channel_id, platform_id="out-1",
                    direction="out", kind="reply", text="We are on it.", agent_id=agent.id,
                    platform_created_at=now, received_at=now, send_state="sent", sent_at=now)
    db.session.add(reply)
    db.session.commit()
    page = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    assert page.count('<li class="msg ') == 2
    for message in thread.messages:
        shown = _item(page, f'id="m{message.id}"')
        fragment = client.get(f"/inbox/threads/{thread.id}/messages/{message.id}")
        assert fragment.status_code == 200
        assert _squash(fragment.get_data(as_text=True)) == _squash(shown)
    assert "Agent Smith" in page and "We are on it." in page
