"""Nothing a customer wrote is lost or cut: documented X API v2 and Graph API payloads, from
the HTTP answer (mocked with ``responses``) through ingest to the thread page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from app.extensions import db
from app.ingest import ingest_page
from app.models import Author, Channel, Message, Thread, User
from connectors.base import HIDDEN_AUTHOR_NAME
from connectors.facebook import FacebookConnector
from connectors.x import XConnector
from tests.connectors.conftest import (
    BRAND_X_ID,
    GRAPH,
    PAGE_ID,
    X_BASE,
    comment,
    x_user,
)

POST = f"{PAGE_ID}_900"
MENTIONS = f"{X_BASE}/2/users/{BRAND_X_ID}/mentions"

# The long-post shape of the X API v2 documentation ("note_tweet"): ``text`` cut with a t.co
# link, the whole post in ``note_tweet.text``.
LONG_TEXT = ("@MarketplaceCare " + "Ma commande 4417 n'est jamais arrivée, " * 12
             + "et personne ne répond depuis dix jours.")


@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _messages(channel: Channel) -> list[Message]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Message).where(Message.channel_id == channel.id)
                                   .order_by(Message.id)))


def _fb(make_channel: Callable[..., Channel]) -> tuple[Channel, FacebookConnector]:
    from connectors.base import ChannelSettings
    channel = make_channel("facebook", account_id=PAGE_ID)
    return channel, FacebookConnector(ChannelSettings(
        account_id=PAGE_ID, credentials={"page_access_token": "ptok"}, timeout=2.0))


def _x(make_channel: Callable[..., Channel]) -> tuple[Channel, XConnector]:
    from connectors.base import ChannelSettings
    channel = make_channel("x", account_id=BRAND_X_ID)
    return channel, XConnector(ChannelSettings(
        account_id=BRAND_X_ID, credentials={"bearer_token": "tok"}, handle="MarketplaceCare",
        timeout=2.0))


def _poll_fb(rsps: responses.RequestsMock, connector: FacebookConnector, channel: Channel,
             comments: list[dict[str, Any]]) -> None:
    rsps.get(f"{GRAPH}/{PAGE_ID}/posts", json={"data": [{"id": POST}]})
    rsps.get(f"{GRAPH}/{POST}/comments", json={"data": comments})
    ingest_page(channel, connector.poll_mentions(None))
    rsps.reset()


def _thread_html(client: FlaskClient, login: Callable[..., Any], user: User,
                 thread: Thread) -> str:
    login(user)
    return client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)


# -- Facebook: comments without "from" ----------------------------------------------------

def test_comments_without_from_are_kept_one_hidden_author_per_comment_thread(
        rsps: responses.RequestsMock, make_channel: Callable[..., Channel],
        make_user: Callable[..., User], client: FlaskClient, login: Callable[..., Any]) -> None:
    channel, connector = _fb(make_channel)
    top_a, top_b = f"{POST}_1", f"{POST}_2"
    # Graph leaves out "from" for people who have not authorised the app.
    _poll_fb(rsps, connector, channel, [
        {"id": top_a, "message": "Annonce refusée sans raison", "created_time":
         "2025-03-01T10:00:00+0000"},
        {"id": top_b, "message": "Remboursement ?", "created_time": "2025-03-01T10:01:00+0000"},
        {"id": f"{POST}_3", "message": "Toujours rien", "created_time":
         "2025-03-01T10:05:00+0000", "parent": {"id": top_a}},
    ])
    messages = _messages(channel)
    assert [m.platform_id for m in messages] == [top_a, top_b, f"{POST}_3"]
    threads = {m.platform_id: m.thread_id for m in messages}
    assert threads[f"{POST}_3"] == threads[top_a] != threads[top_b]
    authors = {m.platform_id: db.session.get(Author, m.author_id) for m in messages}
    assert authors[top_a] is authors[f"{POST}_3"]  # one author per comment thread
    assert authors[top_a] is not authors[top_b]
    assert {a.display_name for a in authors.values() if a} == {HIDDEN_AUTHOR_NAME}
    thread = db.session.get(Thread, threads[top_a])
    assert thread is not None
    html = _thread_html(client, login, make_user("agent"), thread)
    assert "Facebook user (name hidden by Facebook)" in html
    assert "Toujours rien" in html


# -- Facebook: attachments, hidden comments, deleted ones ----------------------------------

PHOTO = "https://scontent.xx.fbcdn.net/v/t39.30808-6/4417_n.jpg?stp=dst-jpg&oh=1"


def test_photo_only_comment_and_hidden_comment_are_stored_and_shown(
        rsps: responses.RequestsMock, make_channel: Callable[..., Channel],
        make_user: Callable[..., User], client: FlaskClient, login: Callable[..., Any]) -> None:
    channel, connector = _fb(make_channel)
    photo_page = "https://www.facebook.com/photo.php?fbid=4417&set=p.4417&type=3"
    _poll_fb(rsps, connector, channel, [
        # GET /{post-id}/comments?fields=...,attachment,is_hidden (Graph reference, Comment)
        comment(f"{POST}_10", message="", is_hidden=False, attachment={
            "type": "photo", "url": photo_page,
            "media": {"image": {"height": 720, "src": PHOTO, "width": 960}},
            "target": {"id": "4417", "url": photo_page}}),
        comment(f"{POST}_11", message="Arnaque !!", is_hidden=True),
    ])
    photo, hidden = _messages(channel)
    assert photo.text == ""
    assert photo.attachments == [{"type": "photo", "url": photo_page, "preview_url": PHOTO}]
    assert not photo.hidden and hidden.hidden
    html = _thread_html(client, login, make_user("agent"), photo.thread)
    assert f'href="{photo_page.replace("&", "&amp;")}"' in html
    assert f'src="{PHOTO.replace("&", "&amp;")}"' in html
    assert "Hidden" in _thread_html(client, login, make_user("agent"), hidden.thread)


def test_a_comment_seen_again_is_never_duplicated_and_its_hidden_state_follows(
        rsps: responses.RequestsMock, make_channel: Callable[..., Channel]) -> None:
    channel, connector = _fb(make_channel)
    _poll_fb(rsps, connector, channel, [comment(f"{POST}_20", is_hidden=False)])
    _poll_fb(rsps, connector, channel, [comment(f"{POST}_20", is_hidden=True)])
    (message,) = _messages(channel)
    assert message.hidden
    _poll_fb(rsps, connector, channel, [comment(f"{POST}_20", is_hidden=False)])
    (message,) = _messages(channel)
    assert not message.hidden


def test_a_deleted_comment_seen_again_is_marked_deleted_not_duplicated(
        rsps: responses.RequestsMock, make_channel: Callable[..., Channel]) -> None:
    from dataclasses import replace

    channel, connector = _fb(make_channel)
    rsps.get(f"{GRAPH}/{PAGE_ID}/posts", json={"data": [{"id": POST}]})
    rsps.get(f"{GRAPH}/{POST}/comments", json={"data": [comment(f"{POST}_30")]})
    result = connector.poll_mentions(None)
    ingest_page(channel, result)
    # The same comment reported removed (the Page feed webhook's verb "remove").
    removed = replace(result.items[0], deleted=True, text="")
    result.items = [removed]
    ingest_page(channel, result)
    (message,) = _messages(channel)
    assert message.deleted and message.text == "Où est ma commande ?"  # the text is kept


def test_messenger_image_attachment(rsps: responses.RequestsMock,
                                    make_channel: Callable[..., Channel]) -> None:
    channel, connector = _fb(make_channel)
    preview = "https://scontent.xx.fbcdn.net/v/t1.15752-9/p100x100/4417.png"
    full = "https://scontent.xx.fbcdn.net/v/t1.15752-9/4417.png"
    rsps.get(f"{GRAPH}/{PAGE_ID}/conversations", json={"data": [{
        "id": "t_4417", "updated_time": "2025-03-01T10:00:00+0000",
        "messages": {"data": [{
            "id": "m_4417", "message": "", "created_time": "2025-03-01T10:00:00+0000",
            "from": {"id": "555", "name": "Julie", "email": "555@facebook.com"},
            "to": {"data": [{"id": PAGE_ID, "name": "Marketplace"}]},
            "attachments": {"data": [{"id": "att_1", "mime_type": "image/png",
                                      "name": "image-4417.png", "size": 1000,
                                      "image_data": {"width": 640, "height": 480,
                                                     "max_width": 640, "max_height": 480,
                                                     "url": full, "preview_url": preview,
                                                     "image_type": 1,
                                                     "render_as_sticker": False}}],
                            "paging": {"cursors": {"before": "a", "after": "b"}}},
        }]}}]})
    ingest_page(channel, connector.poll_private(None), private=True)
    (message,) = _messages(channel)
    assert message.attachments == [{"type": "photo", "url": full, "preview_url": preview}]


# -- X: long posts, media, edits ----------------------------------------------------------

def _mentions(rsps: responses.RequestsMock, tweets: list[dict[str, Any]],
              media: list[dict[str, Any]] | None = None) -> None:
    includes: dict[str, Any] = {"users": [x_user()]}
    if media:
        includes["media"] = media
    ids = [t["id"] for t in tweets]
    rsps.get(MENTIONS, json={"data": tweets, "includes": includes,
                             "meta": {"result_count": len(tweets), "newest_id": max(ids),
                                      "oldest_id": min(ids)}})


def _tweet(tweet_id: str, text: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": tweet_id, "text": text, "author_id": "2244994945",
                            "created_at": "2025-03-01T10:00:00.000Z",
                            "conversation_id": tweet_id,
                            "edit_history_tweet_ids": [tweet_id]}
    body.update(extra)
    return body


def test_long_x_post_is_stored_whole_from_note_tweet(
        rsps: responses.RequestsMock, make_channel: Callable[..., Channel]) -> None:
    channel, connector = _x(make_channel)
    cut = LONG_TEXT[:256] + "… https://t.co/Yk3bQ2Xh1a"
    _mentions(rsps, [_tweet("1900000000000000101", cut, note_tweet={
        "text": LONG_TEXT, "entities": {"mentions": [
            {"start": 0, "end": 16, "username": "MarketplaceCare"}]}})])
    ingest_page(channel, connector.poll_mentions(None))
    (message,) = _messages(channel)
    assert message.text == LONG_TEXT and len(message.text) > 280
    params = rsps.calls[0].request.url
    assert "note_tweet" in params and "attachments.media_keys" in params


def test_x_photo_and_video_attachments_from_the_media_expansion(
        rsps: responses.RequestsMock, make_channel: Callable[..., Channel],
        make_user: Callable[..., User], client: FlaskClient, login: Callable[..., Any]) -> None:
    channel, connector = _x(make_channel)
    photo = "https://pbs.twimg.com/media/ENbdd0wU4AAwWfG.jpg"
    thumb = "https://pbs.twimg.com/ext_tw_video_thumb/1/pu/img/abc.jpg"
    mp4 = "https://video.twimg.com/ext_tw_video/1/pu/vid/1280x720/abc.mp4?tag=12"
    _mentions(rsps, [_tweet("1900000000000000102", "@MarketplaceCare regardez https://t.co/a",
                            attachments={"media_keys": ["3_1212092622854131712",
                                                        "7_1212092622854131713"]})],
              media=[{"media_key": "3_1212092622854131712", "type": "photo", "url": photo},
                     {"media_key": "7_1212092622854131713", "type": "video",
                      "preview_image_url": thumb,
                      "variants": [{"content_type": "application/x-mpegURL",
                                    "url": "https://video.twimg.com/ext_tw_video/1/pl/a.m3u8"},
                                   {"bit_rate": 256000, "content_type": "video/mp4",
                                    "url": "https://video.twimg.com/low.mp4"},
                                   {"bit_rate": 2176000, "content_type": "video/mp4",
                                    "url": mp4}]}])
    ingest_page(channel, connector.poll_mentions(None))
    (message,) = _messages(channel)
    assert message.attachments == [
        {"type": "photo", "url": photo, "preview_url": photo},
        {"type": "video", "url": mp4, "preview_url": thumb}]
    html = _thread_html(client, login, make_user("agent"), message.thread)
    assert f'src="{photo}"' in html and f'src="{thumb}"' in html


def test_an_edited_x_post_updates_the_message_it_edits_keeping_the_history(
        rsps: responses.RequestsMock, make_channel: Callable[..., Channel],
        make_user: Callable[..., User], client: FlaskClient, login: Callable[..., Any]) -> None:
    channel, connector = _x(make_channel)
    first, edit = "1900000000000000201", "1900000000000000205"
    _mentions(rsps, [_tweet(first, "@MarketplaceCare colis pas arrivé")])
    result = connector.poll_mentions(None)
    ingest_page(channel, result)
    rsps.reset()
    # The edit is a new post whose edit_history_tweet_ids lists every version, oldest first.
    _mentions(rsps, [_tweet(edit, "@MarketplaceCare colis 4417 pas arrivé",
                            conversation_id=first, edit_history_tweet_ids=[first, edit])])
    ingest_page(channel, connector.poll_mentions(result.cursor))
    (message,) = _messages(channel)
    assert message.platform_id == edit and message.text == "@MarketplaceCare colis 4417 pas arrivé"
    assert message.edit_history == [{"platform_id": first,
                                     "text": "@MarketplaceCare colis pas arrivé"}]
    # The original seen again (a backfill) changes nothing and adds nothing.
    rsps.reset()
    _mentions(rsps, [_tweet(first, "@MarketplaceCare colis pas arrivé",
                            edit_history_tweet_ids=[first, edit])])
    ingest_page(channel, connector.poll_mentions(None))
    (message,) = _messages(channel)
    assert message.platform_id == edit and len(message.edit_history) == 1
    assert "Edited" in _thread_html(client, login, make_user("agent"), message.thread)
