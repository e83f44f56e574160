"""Contract tests of the X connector against documented API v2 payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses
from freezegun import freeze_time

from connectors.base import (
    AuthExpired,
    ChannelSettings,
    PermissionDenied,
    PlatformError,
    RateLimited,
    SendTimeout,
    backoff_seconds,
)
from connectors.x import XConnector
from tests.connectors.conftest import BRAND_X_ID, X_BASE, tweet, x_user

MENTIONS = f"{X_BASE}/2/users/{BRAND_X_ID}/mentions"
DM_EVENTS = f"{X_BASE}/2/dm_events"


def query(call: responses.Call) -> dict[str, list[str]]:
    return parse_qs(urlparse(call.request.url).query)


def test_mentions_with_includes_are_parsed(rsps, x_connector):
    rsps.get(MENTIONS, json={
        "data": [tweet("1900000000000000020", referenced_tweets=[
            {"type": "replied_to", "id": "1900000000000000010"}],
            conversation_id="1900000000000000005")],
        "includes": {"users": [x_user()]},
        "meta": {"result_count": 1, "newest_id": "1900000000000000020",
                 "oldest_id": "1900000000000000020"},
    })
    result = x_connector.poll_mentions(None)
    [item] = result.items
    assert item.platform_id == "1900000000000000020"
    assert item.kind == "mention" and item.private is False
    assert item.conversation_id == "1900000000000000005"
    assert item.parent_id == "1900000000000000010"
    assert (item.author.handle, item.author.followers) == ("julie", 312)
    assert item.created_at == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    assert item.url == "https://x.com/julie/status/1900000000000000020"
    assert result.more is False
    assert result.cursor["since_id"] == "1900000000000000020"
    params = query(rsps.calls[0])
    assert "since_id" not in params
    assert params["expansions"] == ["author_id,attachments.media_keys"]
    assert set(params["user.fields"][0].split(",")) == {"public_metrics", "username", "name"}
    assert "conversation_id" in params["tweet.fields"][0]
    assert rsps.calls[0].request.headers["Authorization"] == "Bearer tok"


def test_pagination_keeps_since_id_until_the_last_page(rsps, x_connector):
    rsps.get(MENTIONS, match=[responses.matchers.query_param_matcher(
        {"pagination_token": "PAGE2"}, strict_match=False)], json={
        "data": [tweet("150")], "meta": {"result_count": 1, "newest_id": "150",
                                          "oldest_id": "150"}})
    rsps.get(MENTIONS, json={
        "data": [tweet("300"), tweet("200")],
        "meta": {"result_count": 2, "newest_id": "300", "oldest_id": "200",
                 "next_token": "PAGE2"}})
    first = x_connector.poll_mentions({"since_id": "100"})
    assert first.more is True
    assert first.cursor == {"since_id": "100", "next_token": "PAGE2",
                            "pending_newest_id": "300"}
    # The cursor is stored as JSON by the caller: a crash here and a restart
    # with a fresh connector must resume the walk, not jump to 300.
    stored = json.loads(json.dumps(first.cursor))
    second = XConnector(x_connector.settings).poll_mentions(stored)
    assert [i.platform_id for i in second.items] == ["150"]
    assert second.more is False
    assert second.cursor["since_id"] == "300"
    assert second.cursor["next_token"] is None
    params = query(rsps.calls[1])
    assert params["since_id"] == ["100"] and params["pagination_token"] == ["PAGE2"]


def test_expired_pagination_token_restarts_from_since_id(rsps, x_connector):
    rsps.get(MENTIONS, match=[responses.matchers.query_param_matcher(
        {"pagination_token": "OLD"}, strict_match=False)], status=400, json={
        "errors": [{"message": "Invalid pagination token"}], "title": "Invalid Request",
        "detail": "bad token", "type": "about:blank", "status": 400})
    rsps.get(MENTIONS, json={"data": [tweet("250")],
                             "meta": {"result_count": 1, "newest_id": "250",
                                      "oldest_id": "250"}})
    result = x_connector.poll_mentions({"since_id": "100", "next_token": "OLD",
                                        "pending_newest_id": "240"})
    assert [i.platform_id for i in result.items] == ["250"]
    assert result.cursor["since_id"] == "250"
    assert "pagination_token" not in query(rsps.calls[1])


def test_missing_optional_fields_are_tolerated(rsps, x_connector):
    snowflake = str(((1_700_000_000_000 - 1288834974657) << 22) | 7)
    bare = {"id": snowflake, "text": "@MarketplaceCare ?", "author_id": "999"}
    rsps.get(MENTIONS, json={
        "data": [bare, tweet("1900000000000000001", author_id="2244994945")],
        "includes": {"users": [{"id": "2244994945", "username": "nometrics",
                                "name": "No Metrics"}]},
        "meta": {"result_count": 2}})
    result = x_connector.poll_mentions(None)
    by_id = {i.platform_id: i for i in result.items}
    deleted = by_id[snowflake]
    assert deleted.author.platform_id == "999" and deleted.author.handle == ""
    assert deleted.created_at == datetime.fromtimestamp(1_700_000_000, UTC)
    assert deleted.conversation_id == snowflake
    assert by_id["1900000000000000001"].author.followers is None
    assert result.skipped == []
    # No meta.newest_id: the cursor still moves to the newest id seen.
    assert result.cursor["since_id"] == "1900000000000000001"


def test_malformed_item_is_skipped_not_raised(rsps, x_connector):
    rsps.get(MENTIONS, json={
        "data": [tweet("500"), {"text": "no id"}, {"id": "400", "text": None},
                 tweet("300", created_at="yesterday")],
        "meta": {"result_count": 4, "newest_id": "500", "oldest_id": "300"}})
    result = x_connector.poll_mentions(None)
    assert [i.platform_id for i in result.items] == ["500"]
    assert [s.platform_id for s in result.skipped] == [None, "400", "300"]
    assert "created_at" in result.skipped[2].reason
    assert result.cursor["since_id"] == "500"


def test_duplicates_and_already_seen_ids_are_dropped(rsps, x_connector):
    rsps.get(MENTIONS, json={"data": [tweet("500"), tweet("500"), tweet("100")],
                             "meta": {"result_count": 3, "newest_id": "500"}})
    result = x_connector.poll_mentions({"since_id": "100"})
    assert [i.platform_id for i in result.items] == ["500"]


def test_dms_ignore_the_brand_and_stop_at_last_seen(rsps, x_connector):
    def event(event_id: str, sender: str, text: str) -> dict:
        return {"id": event_id, "event_type": "MessageCreate", "text": text,
                "sender_id": sender, "dm_conversation_id": f"{BRAND_X_ID}-{sender}",
                "created_at": "2025-03-01T10:00:00.000Z"}

    rsps.get(DM_EVENTS, json={
        "data": [event("30", BRAND_X_ID, "On regarde"), event("20", "777", "Mon colis ?")],
        "includes": {"users": [x_user("777", "nadia")]},
        "meta": {"result_count": 2, "next_token": "DM2"}})
    first = x_connector.poll_private(None)
    assert [(i.platform_id, i.author.handle, i.private) for i in first.items] == [
        ("20", "nadia", True)]
    assert first.items[0].conversation_id == f"{BRAND_X_ID}-777"
    assert first.more is True and first.cursor["last_seen_id"] is None

    rsps.replace(responses.GET, DM_EVENTS, json={
        "data": [event("10", "777", "Bonjour")], "meta": {"result_count": 1}})
    second = x_connector.poll_private(first.cursor)
    assert [i.platform_id for i in second.items] == ["10"]
    assert second.cursor["last_seen_id"] == "30" and second.more is False
    assert query(rsps.calls[1])["pagination_token"] == ["DM2"]
    assert query(rsps.calls[1])["event_types"] == ["MessageCreate"]

    rsps.replace(responses.GET, DM_EVENTS, json={
        "data": [event("40", "777", "Alors ?"), event("30", BRAND_X_ID, "On regarde")],
        "meta": {"result_count": 2, "next_token": "OLDER"}})
    third = x_connector.poll_private(second.cursor)
    assert [i.platform_id for i in third.items] == ["40"]
    # An already-seen id was reached: no need to walk older pages.
    assert third.more is False and third.cursor["last_seen_id"] == "40"


@freeze_time("2025-03-01 12:00:00")
def test_429_with_reset_header(rsps, x_connector):
    reset = int(datetime(2025, 3, 1, 12, 7, 30, tzinfo=UTC).timestamp())
    rsps.get(MENTIONS, status=429, headers={"x-rate-limit-limit": "450",
                                            "x-rate-limit-remaining": "0",
                                            "x-rate-limit-reset": str(reset)},
             json={"title": "Too Many Requests", "detail": "Too Many Requests",
                   "type": "about:blank", "status": 429})
    with pytest.raises(RateLimited) as info:
        x_connector.poll_mentions({"since_id": "100"})
    assert info.value.reset_at == datetime(2025, 3, 1, 12, 7, 30, tzinfo=UTC)
    assert info.value.retry_after == 450
    # Same position, so storing it loses nothing.
    assert info.value.cursor["since_id"] == "100"


def test_429_without_header_backs_off_exponentially(rsps, x_connector):
    rsps.get(MENTIONS, status=429, json={"title": "Too Many Requests", "status": 429,
                                         "detail": "Too Many Requests",
                                         "type": "about:blank"})
    with pytest.raises(RateLimited) as first:
        x_connector.poll_mentions({"since_id": "100"})
    assert first.value.reset_at is None
    with pytest.raises(RateLimited) as second:
        x_connector.poll_mentions(first.value.cursor)
    with pytest.raises(RateLimited) as third:
        x_connector.poll_mentions(second.value.cursor)
    delays = [e.value.retry_after for e in (first, second, third)]
    assert delays == [backoff_seconds(0), backoff_seconds(1), backoff_seconds(2)]
    assert delays[0] < delays[1] < delays[2]


def test_429_on_send_uses_the_callers_attempt_counter(rsps, x_settings):
    rsps.post(f"{X_BASE}/2/tweets", status=429, json={"title": "Too Many Requests",
                                                      "status": 429, "detail": "x",
                                                      "type": "about:blank"})
    x_settings.backoff_attempt = 3
    with pytest.raises(RateLimited) as info:
        XConnector(x_settings).reply_public("1", "merci")
    assert info.value.retry_after == backoff_seconds(3) == 120
    assert info.value.cursor is None


@pytest.mark.parametrize(("status", "error"), [
    (401, AuthExpired), (403, PermissionDenied), (500, PlatformError), (503, PlatformError)])
def test_http_errors_are_typed(rsps, x_connector, status, error):
    rsps.get(MENTIONS, status=status, json={"title": "err", "detail": "err",
                                            "type": "about:blank", "status": status})
    with pytest.raises(error) as info:
        x_connector.poll_mentions(None)
    if error is PlatformError:
        assert info.value.status == status


def test_timeout_on_send_is_send_timeout(rsps, x_connector):
    rsps.post(f"{X_BASE}/2/tweets", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(SendTimeout):
        x_connector.reply_public("1900000000000000020", "Bonjour, on regarde ^Marie")


def test_timeout_on_poll_is_a_platform_error_not_send_timeout(rsps, x_connector):
    rsps.get(MENTIONS, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(PlatformError) as info:
        x_connector.poll_mentions(None)
    assert not isinstance(info.value, SendTimeout)


def test_reply_and_dm_payloads(rsps, x_connector):
    rsps.post(f"{X_BASE}/2/tweets", status=201, json={
        "data": {"id": "1900000000000000099", "text": "ok",
                 "edit_history_tweet_ids": ["1900000000000000099"]}})
    rsps.post(f"{X_BASE}/2/dm_conversations/with/777/messages", status=201, json={
        "data": {"dm_conversation_id": "777-1600000000000000001", "dm_event_id": "42"}})
    sent = x_connector.reply_public("1900000000000000020", "Bonjour ^Marie")
    assert sent.platform_id == "1900000000000000099"
    assert sent.url == "https://x.com/MarketplaceCare/status/1900000000000000099"
    assert json.loads(rsps.calls[0].request.body) == {
        "text": "Bonjour ^Marie", "reply": {"in_reply_to_tweet_id": "1900000000000000020"}}
    dm = x_connector.send_private(recipient_id="777", text="Votre n° de commande ?")
    assert dm.platform_id == "42"
    assert json.loads(rsps.calls[1].request.body) == {"text": "Votre n° de commande ?"}


def test_find_sent_finds_a_stored_reply(rsps, x_connector):
    rsps.get(f"{X_BASE}/2/users/{BRAND_X_ID}/tweets", json={
        "data": [
            tweet("91", author_id=BRAND_X_ID, text="Autre chose",
                  referenced_tweets=[{"type": "replied_to", "id": "20"}]),
            tweet("90", author_id=BRAND_X_ID, text="Bonjour  ^Marie",
                  referenced_tweets=[{"type": "replied_to", "id": "20"}]),
        ], "meta": {"result_count": 2}})
    since = datetime(2025, 3, 1, 9, 59, tzinfo=UTC)
    found = x_connector.find_sent("20", "Bonjour ^Marie", since)
    assert found is not None and found.platform_id == "90"
    assert x_connector.find_sent("21", "Bonjour ^Marie", since) is None
    assert query(rsps.calls[0])["start_time"] == ["2025-03-01T09:58:00Z"]


def test_find_sent_private_looks_at_the_brands_dm(rsps, x_connector):
    rsps.get(f"{X_BASE}/2/dm_conversations/with/777/dm_events", json={
        "data": [{"id": "55", "event_type": "MessageCreate", "text": "Écrivez-nous ici",
                  "sender_id": BRAND_X_ID, "created_at": "2025-03-01T10:00:00.000Z"}],
        "meta": {"result_count": 1}})
    since = datetime(2025, 3, 1, 9, 59, tzinfo=UTC)
    found = x_connector.find_sent(None, "Écrivez-nous ici", since, private=True,
                                  recipient_id="777")
    assert found is not None and found.platform_id == "55"
    assert x_connector.find_sent(None, "autre", since, private=True,
                                 recipient_id="777") is None


def test_base_url_setting_is_honoured(rsps):
    settings = ChannelSettings(account_id="1", credentials={"bearer_token": "t"},
                               api_base_url="http://sandbox.test/sandbox/x/")
    rsps.get("http://sandbox.test/sandbox/x/2/users/me",
             json={"data": {"id": "1", "name": "Brand", "username": "brand"}})
    assert XConnector(settings).test_connection()["username"] == "brand"
    assert rsps.calls[0].request.url.startswith("http://sandbox.test/sandbox/x/2/users/me")


def test_oauth1_credentials_sign_requests(rsps):
    settings = ChannelSettings(account_id="1", credentials={
        "consumer_key": "ck", "consumer_secret": "cs", "access_token": "at",
        "access_token_secret": "ats"})
    rsps.get(f"{X_BASE}/2/users/me", json={"data": {"id": "1", "name": "B",
                                                    "username": "b"}})
    XConnector(settings).test_connection()
    assert rsps.calls[0].request.headers["Authorization"].startswith("OAuth ")
