"""The sandbox answers the documented shapes the connectors must keep whole: note_tweet,
media expansion, edits, comments without "from", attachments, hidden comments."""

from __future__ import annotations

import requests

from tests.sandbox.conftest import drain

PHOTO = "https://upload.wikimedia.org/wikipedia/commons/a/a9/Example.jpg"


def test_x_long_post_photo_and_edit(sandbox):
    x = sandbox.x()
    _, cursor = drain(x.poll_mentions, None)
    long_text = "Ma commande n'est jamais arrivée. " * 12
    posted = sandbox.post(network="x", kind="mention", handle="julie_mrtn", text=long_text,
                          photo_url=PHOTO)
    items, cursor = drain(x.poll_mentions, cursor)
    (item,) = items
    assert item.text == f"@MarketplaceCare {long_text.strip()}" and len(item.text) > 280
    assert item.raw["text"].endswith("https://t.co/sandbox01")  # cut, as X does
    assert [(a.type, a.url) for a in item.attachments] == [("photo", PHOTO)]
    edited = requests.post(f"{sandbox.root}/_api/tweets/{posted['id']}/edit",
                           json={"text": "@MarketplaceCare colis 4417"}, timeout=5).json()
    items, _ = drain(x.poll_mentions, cursor)
    (edit,) = items
    assert edit.platform_id == edited["id"]
    assert edit.edit_history == [posted["id"], edited["id"]]


def test_facebook_anonymous_hidden_and_photo_comments(sandbox):
    fb = sandbox.facebook()
    _, cursor = drain(fb.poll_mentions, None)
    sandbox.post(network="facebook", kind="comment", handle="julie", text="", anonymous=True,
                 photo_url=PHOTO)
    sandbox.post(network="facebook", kind="comment", handle="tom", text="Arnaque", hidden=True)
    items, _ = drain(fb.poll_mentions, cursor)
    photo, hidden = sorted(items, key=lambda i: i.text)
    assert photo.author.platform_id == f"hidden:{photo.platform_id}"
    assert [(a.type, a.preview_url) for a in photo.attachments] == [("photo", PHOTO)]
    assert hidden.hidden and not photo.hidden


def test_messenger_photo(sandbox):
    fb = sandbox.facebook()
    _, cursor = drain(fb.poll_private, None)
    sandbox.post(network="facebook", kind="message", handle="lea", text="", photo_url=PHOTO)
    items, _ = drain(fb.poll_private, cursor)
    assert [(a.type, a.url) for i in items for a in i.attachments] == [("photo", PHOTO)]
