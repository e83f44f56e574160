"""The inbox row's markup (``app/inbox/rows.py``): every value escaped, the words in the
page's language, and the sort key of the order the page is in (the live inbox places an
arriving row among the others by comparing these keys)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from app.inbox.queries import sort_key
from app.models import Author, Channel, Thread, User, utcnow


def _row(page: str, thread_id: int) -> str:
    begin = page.index(f'data-thread-id="{thread_id}"')
    return page[page.rfind("<li", 0, begin):page.index("</li>", begin) + 5]


def test_values_from_platforms_and_people_are_escaped(
        client: FlaskClient, login: Callable[..., Any], make_user: Callable[..., User],
        make_author: Callable[..., Author], make_channel: Callable[..., Channel],
        make_thread: Callable[..., Thread]) -> None:
    login(make_user(name='Ann "<b>" O\'Neil'))
    facebook = make_channel(network="facebook")
    author = make_author(network="facebook", display_name='Bob <img src=x onerror=alert(1)>',
                         segment="professional")
    assignee = make_user(name="Zoé <i>")
    thread = make_thread('<script>alert("hi")</script> & co', channel=facebook, author=author,
                         status="open", category="<b>cat</b>", language="f\"r",
                         urgency=["scam", "<x>"], assignee=assignee)
    row = _row(client.get("/inbox").get_data(as_text=True), thread.id)
    assert "<script>" not in row and "<img" not in row and "<b>" not in row
    assert "<i>" not in row and "<x>" not in row
    assert "&lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt; &amp; co" in row
    assert 'title="Bob &lt;img src=x onerror=alert(1)&gt; · Professional"' in row
    assert '<span class="tag pro">Pro</span>' in row
    assert '<span class="tag urgent">Scam</span><span class="tag urgent">&lt;x&gt;</span>' in row
    assert '<span class="tag cat">&lt;b&gt;cat&lt;/b&gt;</span>' in row
    assert '<span class="tag lang">F&#34;R</span>' in row
    assert '<span class="assignee">Zoé &lt;i&gt;</span>' in row
    assert '<span class="net net-facebook" title="Facebook">f</span>' in row
    assert '<span class="badge status-open">Open</span>' in row


def test_the_row_speaks_the_page_language(
        client: FlaskClient, login: Callable[..., Any], make_user: Callable[..., User],
        make_thread: Callable[..., Thread]) -> None:
    login(make_user(locale="fr"))
    thread = make_thread(status="waiting", urgency=["hacked_account"], category="payment",
                         priority=62.4, visibility="private")
    row = _row(client.get("/inbox?status=waiting").get_data(as_text=True), thread.id)
    assert 'class="thread-row status-waiting prio-mid"' in row
    assert 'title="Priorité 62 sur 100">62</span>' in row
    assert "Compte piraté" in row and "Paiement" in row and "En attente" in row
    assert '<span class="tag private">Privé</span>' in row
    assert 'aria-label="Sélectionner"' in row


def test_each_row_carries_the_sort_key_of_the_page_order(
        client: FlaskClient, login: Callable[..., Any], make_user: Callable[..., User],
        make_thread: Callable[..., Thread]) -> None:
    login(make_user())
    now = utcnow()
    threads = [make_thread(status="open", priority=p, last_message_at=now - timedelta(minutes=m))
               for p, m in ((90.0, 30), (40.0, 1), (70.0, 10))]
    for sort in ("priority", "recent", "sla"):
        page = client.get(f"/inbox?sort={sort}").get_data(as_text=True)
        keys = re.findall(r'data-sort-key="([^"]+)"', page)
        assert keys == sorted(keys, reverse=True), sort  # the page's order, as the script reads it
        for thread in threads:
            expected = sort_key(thread, sort)
            assert f'data-sort-key="{expected}"' in _row(page, thread.id)
            live = client.get(f"/inbox/rows/{thread.id}?sort={sort}")
            assert live.headers["X-Sort-Key"] == expected
            assert f'data-sort-key="{expected}"' in live.get_data(as_text=True)


def test_a_thread_keeps_its_assignee_name_after_they_leave(
        client: FlaskClient, login: Callable[..., Any], make_user: Callable[..., User],
        make_thread: Callable[..., Thread]) -> None:
    from app.extensions import db

    login(make_user())
    gone = make_user(name="Former Agent")
    here = make_user(name="Present Agent")
    left_behind = make_thread(status="open", assignee=gone)
    kept = make_thread(status="open", assignee=here)
    gone.active = False
    db.session.commit()
    page = client.get("/inbox").get_data(as_text=True)
    assert '<span class="assignee">Former Agent</span>' in _row(page, left_behind.id)
    assert '<span class="assignee">Present Agent</span>' in _row(page, kept.id)
    assert "Former Agent" not in page.split('id="thread-list"')[0]  # not offered in the menus
