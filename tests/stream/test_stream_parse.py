"""The X filtered stream's messages and back-off, against the payloads X documents."""

from __future__ import annotations

import json

import pytest

from connectors.base import ChannelSettings
from connectors.x import XConnector
from connectors.x_stream import (
    MAX_MESSAGE_BYTES,
    StreamBackoff,
    parse_message,
    rule_tag,
    stream_rule,
)

BRAND = "1600000000000000001"

# From X's filtered-stream documentation (GET /2/tweets/search/stream, "Example responses"):
# the default fields, then with expansions=author_id and tweet.fields=created_at.
DOC_DEFAULT = {
    "data": {
        "id": "1067094924124872705",
        "edit_history_tweet_ids": ["1067094924124872705"],
        "text": "Just getting started with Twitter APIs? Find out what you need in order to "
                "build an app. Watch this video! https://t.co/Hg8nkfoizN",
    },
    "matching_rules": [{"id": "1166916266197536768", "tag": "test"}],
}
DOC_EXPANDED = {
    "data": {
        "author_id": "2244994945",
        "created_at": "2022-09-14T19:00:55.000Z",
        "id": "1228393702244134912",
        "edit_history_tweet_ids": ["1228393702244134912"],
        "text": "What did the developer write in their Valentine’s card?\n  \nwhile(true) {\n"
                "    I = Love(You);  \n}",
    },
    "includes": {"users": [{"created_at": "2013-12-14T04:35:55.000Z", "id": "2244994945",
                            "name": "Twitter Dev", "username": "TwitterDev"}]},
    "matching_rules": [{"id": "1166916266197536768", "tag": "test"}],
}
# X's documented disconnection message (Handling disconnections).
DOC_DISCONNECT = {"errors": [{
    "title": "operational-disconnect",
    "disconnect_type": "UpstreamOperationalDisconnect",
    "detail": "This stream has been disconnected upstream for operational reasons.",
    "type": "https://api.twitter.com/2/problems/operational-disconnect"}]}


@pytest.fixture
def connector() -> XConnector:
    return XConnector(ChannelSettings(account_id=BRAND, credentials={"bearer_token": "t"}))


def _line(body: object) -> bytes:
    return json.dumps(body).encode()


def test_documented_messages_parse_like_a_polled_page(connector: XConnector) -> None:
    plain = parse_message(connector, _line(DOC_DEFAULT), None)
    assert [p.platform_id for p in plain.posts] == ["1067094924124872705"]
    assert plain.posts[0].text.startswith("Just getting started")
    assert plain.skipped == [] and plain.errors == []
    expanded = parse_message(connector, _line(DOC_EXPANDED), "test")
    post = expanded.posts[0]
    assert post.author.handle == "TwitterDev" and post.author.name == "Twitter Dev"
    assert post.created_at.isoformat() == "2022-09-14T19:00:55+00:00"
    assert post.url == "https://x.com/TwitterDev/status/1228393702244134912"
    assert post.kind == "mention" and not post.private


def test_documented_disconnect_is_reported_not_stored(connector: XConnector) -> None:
    message = parse_message(connector, _line(DOC_DISCONNECT), None)
    assert message.posts == [] and message.skipped == []
    assert message.errors == ["operational-disconnect: UpstreamOperationalDisconnect: This "
                              "stream has been disconnected upstream for operational reasons."]


def test_another_accounts_rule_is_left_out(connector: XConnector) -> None:
    assert parse_message(connector, _line(DOC_EXPANDED), rule_tag(BRAND)).posts == []
    ours = {**DOC_EXPANDED, "matching_rules": [{"id": "1", "tag": rule_tag(BRAND)}]}
    assert len(parse_message(connector, _line(ours), rule_tag(BRAND)).posts) == 1


def test_the_brands_own_post_is_left_out(connector: XConnector) -> None:
    own = {"data": {**DOC_EXPANDED["data"], "author_id": BRAND}}
    assert parse_message(connector, _line(own), None).posts == []


@pytest.mark.parametrize("raw, reason", [
    (b"{not json", "not JSON"),
    (b"\xff\xfe\x00", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (json.dumps({"data": "text"}).encode(), "'data' is not a list"),
    (json.dumps({"data": {"text": "no id"}}).encode(), "no valid id"),
    (json.dumps({"data": {"id": "12", "text": "x", "created_at": "yesterday"}}).encode(),
     "bad created_at"),
    (b"{" + b" " * (MAX_MESSAGE_BYTES + 1) + b"}", "over"),
])
def test_bad_messages_become_skipped_items_never_errors(connector: XConnector, raw: bytes,
                                                        reason: str) -> None:
    message = parse_message(connector, raw, None)
    assert message.posts == []
    assert len(message.skipped) == 1 and reason in message.skipped[0].reason


def test_backoff_is_the_one_x_documents() -> None:
    backoff = StreamBackoff()
    # TCP/IP errors: linear, 250 ms more each time, capped at 16 s.
    network = [backoff.after_network_error() for _ in range(70)]
    assert network[:4] == [0.25, 0.5, 0.75, 1.0] and network[-1] == 16.0
    assert max(network) == 16.0
    # HTTP errors: exponential from 5 s, capped at 320 s.
    http = [backoff.after_http_error(503) for _ in range(9)]
    assert http == [5, 10, 20, 40, 80, 160, 320, 320, 320]
    # 429: exponential from a minute.
    rate = [backoff.after_http_error(429) for _ in range(3)]
    assert rate == [60, 120, 240]
    # A connection established: the next drop starts over.
    backoff.connected()
    assert backoff.after_network_error() == 0.25
    assert backoff.after_http_error(500) == 5
    assert backoff.after_http_error(429) == 60


def test_rule_is_mentions_of_the_handle_not_from_it() -> None:
    assert stream_rule("@MarketplaceCare") == "@MarketplaceCare -from:MarketplaceCare"
    for bad in ("", "@", "two words", "a)b OR c"):
        with pytest.raises(ValueError):
            stream_rule(bad)
