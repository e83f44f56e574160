"""A thread's messages as the page writes them (``app/inbox/messages.py``): every kind of
message and state, every value from a platform or a person escaped, links only to http(s)
addresses."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from app.extensions import db
from app.models import Author, Channel, Message, Thread, User, utcnow


def _squash(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def _message(page: str, message_id: int) -> str:
    begin = page.index(f'id="m{message_id}"')
    start = page.rfind("<li", 0, begin)
    depth, position = 0, start
    for match in re.finditer(r"<li\b|</li>", page[start:]):
        depth += 1 if match.group(0) != "</li>" else -1
        if depth == 0:
            position = start + match.end()
            break
    return _squash(page[start:position])


def _add(thread: Thread, **fields: Any) -> Message:
    at = fields.pop("platform_created_at", utcnow())
    values: dict[str, Any] = {"thread_id": thread.id, "channel_id": thread.channel_id,
                              "platform_id": f"p-{utcnow().timestamp()}-{id(fields)}",
                              "direction": "in", "kind": "mention", "text": "hello",
                              "platform_created_at": at, "received_at": at}
    values.update(fields)
    message = Message(**values)
    db.session.add(message)
    db.session.commit()
    return message


def test_an_inbound_message_with_everything_a_platform_can_send(
        client: FlaskClient, login: Callable[..., Any], make_user: Callable[..., User],
        make_author: Callable[..., Author], make_channel: Callable[..., Channel],
        make_thread: Callable[..., Thread]) -> None:
    login(make_user())
    channel = make_channel(network="x")
    author = make_author(network="x", handle="<b>eve</b>")
    thread = make_thread(channel=channel, author=author, status="open")
    message = _add(
        thread, text="Call me on 06 12 34 56 78 <script>x</script>", author_id=author.id,
        url="https://x.com/eve/status/1", hidden=True, deleted=True, language="fr",
        polarity=-0.4, category="payment",
        pii=[{"kind": "phone", "start": 11, "end": 25}],
        urgency=[{"name": "scam", "triggers": ["<arnaque>", "virement"]}],
        edit_history=[{"text": "first <i>draft</i>", "platform_id": "e1"},
                      {"text": None, "platform_id": "e2"}],
        attachments=[{"type": "photo", "url": "https://pbs.example/a.jpg",
                      "preview_url": "https://pbs.example/a_small.jpg"},
                     {"type": "file", "url": "javascript:alert(1)"}])
    shown = _message(client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True),
                     message.id)
    assert shown.startswith(f'<li class="msg inbound vis-public" id="m{message.id}">')
    assert "<strong>@&lt;b&gt;eve&lt;/b&gt;</strong>" in shown
    assert '<span class="tag hidden-by-page" title="Hidden by the Page' in shown
    assert '<span class="tag deleted">Deleted by its author</span>' in shown
    assert ('<span class="tag edited" title="Earlier versions: first &lt;i&gt;draft&lt;/i&gt;'
            ' | e2">Edited</span>') in shown
    assert '<a href="https://x.com/eve/status/1" rel="noopener noreferrer" target="_blank">' \
           "on the platform</a>" in shown
    assert '<p class="msg-text msg-deleted">Call me on <mark class="pii" title="phone number">' \
           "06 12 34 56 78</mark> &lt;script&gt;x&lt;/script&gt;</p>" in shown
    assert ('<li class="attachment attachment-photo"><a href="https://pbs.example/a.jpg" '
            'rel="noopener noreferrer" target="_blank"><img src="https://pbs.example/a_small.jpg"'
            ' alt="Photo" loading="lazy" referrerpolicy="no-referrer"></a></li>') in shown
    assert '<li class="attachment attachment-file">File</li>' in shown  # not a link
    assert "javascript:" not in shown and "<script>" not in shown
    assert ('<p class="msg-triage">FR · <span class="sentiment sentiment-negative" '
            'title="polarity -0.40">negative</span> · Payment · <span class="tag urgent" '
            'title="&lt;arnaque&gt;, virement">Scam</span></p>') in shown


def test_replies_in_each_sending_state(
        client: FlaskClient, login: Callable[..., Any], make_user: Callable[..., User],
        make_thread: Callable[..., Thread]) -> None:
    agent = make_user(name='Jo "<u>" Smith')
    login(agent)
    thread = make_thread(status="open")
    now = utcnow()
    sent = _add(thread, direction="out", kind="reply", text="Done.", agent_id=agent.id,
                send_state="sent", sent_at=now - timedelta(minutes=5),
                url="https://x.com/brand/status/9")
    private = _add(thread, direction="out", kind="dm", text="In private.", agent_id=agent.id,
                   visibility="private", send_state="pending")
    failed = _add(thread, direction="out", kind="reply", text="Oops.", agent_id=agent.id,
                  send_state="failed", send_error="HTTP 403 <forbidden>")
    unknown = _add(thread, direction="out", kind="reply", text="Maybe.", agent_id=None,
                   send_state="unknown")
    page = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)

    shown = _message(page, sent.id)
    assert shown.startswith(f'<li class="msg outbound vis-public" id="m{sent.id}">')
    assert '<strong>Jo &#34;&lt;u&gt;&#34; Smith</strong><span class="tag public">Public</span>' \
        in shown
    assert '<div class="send-state sent">✓ Sent <time datetime=' in shown
    assert ">5 minutes ago</time> · <a href=\"https://x.com/brand/status/9\" " \
           'rel="noopener noreferrer" target="_blank">see it on X</a></div>' in shown

    shown = _message(page, private.id)
    assert '<span class="tag private">Private</span>' in shown
    assert '<div class="send-state pending">Sending…</div>' in shown

    shown = _message(page, failed.id)
    assert '<div class="send-state failed">Not sent: HTTP 403 &lt;forbidden&gt; <form' in shown
    assert f'<form method="post" action="/inbox/messages/{failed.id}/retry" class="inline">' \
        in shown
    assert '<button class="small">Retry</button></form></div></li>' in shown

    shown = _message(page, unknown.id)
    assert "<strong>Brand</strong>" in shown
    assert '<button class="small">Check and retry</button>' in shown
    # The live thread page's fragment is the same message.
    fragment = client.get(f"/inbox/threads/{thread.id}/messages/{failed.id}")
    assert _squash(fragment.get_data(as_text=True)) == _message(page, failed.id)


def test_figures_are_written_in_the_page_language(
        app: Any, client: FlaskClient, login: Callable[..., Any],
        make_user: Callable[..., User], make_thread: Callable[..., Thread]) -> None:
    from flask_babel import force_locale

    from app.filters import decimal

    login(make_user(locale="fr"))
    thread = make_thread(status="open")
    message = _add(thread, language="fr", polarity=-0.4, category="payment")
    shown = _message(client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True),
                     message.id)
    assert 'title="polarité -0,40"' in shown
    with app.test_request_context("/"):
        with force_locale("fr"):
            assert (decimal(0.07), decimal(0.5, signed=True), decimal(0.1234, 3)) == \
                ("0,07", "+0,50", "0,123")
        with force_locale("en"):
            assert (decimal(0.07), decimal(-0.5, signed=True), decimal(2.0, 0)) == \
                ("0.07", "-0.50", "2")
