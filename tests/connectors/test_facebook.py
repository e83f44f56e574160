"""Contract tests of the Facebook connector against documented Graph payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
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
    PrivateReplyUnavailable,
    RateLimited,
    SendTimeout,
    backoff_seconds,
)
from connectors.facebook import OVERLAP_SECONDS, FacebookConnector
from tests.connectors.conftest import GRAPH, PAGE_ID, comment

POST_A = f"{PAGE_ID}_1"
POST_B = f"{PAGE_ID}_2"


def query(call: responses.Call) -> dict[str, list[str]]:
    return parse_qs(urlparse(call.request.url).query)


def graph_error(code: int, subcode: int | None = None, message: str = "err") -> dict:
    error = {"message": message, "type": "OAuthException", "code": code,
             "fbtrace_id": "AbC"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


@freeze_time("2025-03-01 12:00:00")
def test_posts_and_comments_paging_and_watermark(rsps, fb_connector):
    rsps.get(f"{GRAPH}/{PAGE_ID}/posts", json={
        "data": [{"id": POST_B, "created_time": "2025-03-01T09:00:00+0000"},
                 {"id": POST_A, "created_time": "2025-02-28T09:00:00+0000"}],
        "paging": {"cursors": {"before": "b", "after": "a"}}})
    rsps.get(f"{GRAPH}/{POST_B}/comments", match=[responses.matchers.query_param_matcher(
        {"after": "CUR1"}, strict_match=False)], json={
        "data": [comment(f"{POST_B}_12", message="Et ma commande ?")],
        "paging": {"cursors": {"before": "CUR1", "after": "CUR2"}}})
    rsps.get(f"{GRAPH}/{POST_B}/comments", json={
        "data": [comment(f"{POST_B}_11", parent={"id": f"{POST_B}_10"}),
                 comment(f"{POST_B}_13", author_id=PAGE_ID, message="Bonjour ^Marie")],
        "paging": {"cursors": {"before": "CUR0", "after": "CUR1"},
                   "next": f"{GRAPH}/{POST_B}/comments?after=CUR1"}})
    rsps.get(f"{GRAPH}/{POST_A}/comments", json={"data": []})

    first = fb_connector.poll_mentions(None)
    assert [i.platform_id for i in first.items] == [f"{POST_B}_11"]  # page's own ignored
    item = first.items[0]
    assert (item.kind, item.conversation_id, item.parent_id) == (
        "comment", POST_B, f"{POST_B}_10")
    assert item.author.name == "User 555" and item.private is False
    assert first.more is True
    assert first.cursor["post"] == POST_B and first.cursor["after"] == "CUR1"
    assert first.cursor["since"] is None

    stored = json.loads(json.dumps(first.cursor))
    second = fb_connector.poll_mentions(stored)
    assert [i.platform_id for i in second.items] == [f"{POST_B}_12"]
    assert second.more is True and second.cursor["post"] is None
    assert second.cursor["queue"] == [POST_A]

    third = fb_connector.poll_mentions(second.cursor)
    assert third.items == [] and third.more is False
    cycle_start = int(datetime(2025, 3, 1, 12, tzinfo=UTC).timestamp())
    assert third.cursor["since"] == cycle_start - OVERLAP_SECONDS

    comment_calls = [c for c in rsps.calls if "/comments" in c.request.url]
    params = query(comment_calls[0])
    assert params["filter"] == ["stream"] and params["order"] == ["chronological"]
    assert "since" not in params


def test_second_cycle_uses_since_and_does_not_repeat_overlap(rsps, fb_connector):
    cursor = {"since": 1_740_000_000, "cycle_start": None, "queue": [], "post": None,
              "after": None, "seen": {f"{POST_A}_5": 1_740_000_010}}
    rsps.get(f"{GRAPH}/{PAGE_ID}/posts", json={"data": [{"id": POST_A}]})
    rsps.get(f"{GRAPH}/{POST_A}/comments", json={"data": [
        comment(f"{POST_A}_5"), comment(f"{POST_A}_6")]})
    result = fb_connector.poll_mentions(cursor)
    assert [i.platform_id for i in result.items] == [f"{POST_A}_6"]
    comment_call = next(c for c in rsps.calls if "/comments" in c.request.url)
    assert query(comment_call)["since"] == ["1740000000"]


def test_malformed_comment_and_missing_fields(rsps, fb_connector):
    rsps.get(f"{GRAPH}/{PAGE_ID}/posts", json={"data": [{"id": POST_A}, {"no": "id"}]})
    rsps.get(f"{GRAPH}/{POST_A}/comments", json={"data": [
        {"message": "sans id"},
        {"id": f"{POST_A}_7", "message": "no from, no date"},
        comment(f"{POST_A}_8", created="not a date"),
    ]})
    result = fb_connector.poll_mentions(None)
    assert [i.platform_id for i in result.items] == [f"{POST_A}_7"]
    # No "from" (the person did not authorise the app): kept, under the thread's hidden author.
    assert result.items[0].author.platform_id == f"hidden:{POST_A}_7"
    assert result.items[0].created_at.tzinfo is not None
    assert [s.platform_id for s in result.skipped] == [None, f"{POST_A}_8"]


def test_messenger_poll_ignores_the_page(rsps, fb_connector):
    rsps.get(f"{GRAPH}/{PAGE_ID}/conversations", json={"data": [{
        "id": "t_1", "updated_time": "2025-03-01T10:05:00+0000",
        "messages": {"data": [
            {"id": "m_3", "message": "On vous répond", "created_time":
                "2025-03-01T10:05:00+0000", "from": {"id": PAGE_ID, "name": "Marketplace"}},
            {"id": "m_2", "message": "Paiement bloqué", "created_time":
                "2025-03-01T10:00:00+0000", "from": {"id": "6001", "name": "Nadia"}},
        ]}}]})
    result = fb_connector.poll_private(None)
    assert [(i.platform_id, i.kind, i.private, i.conversation_id) for i in result.items] == [
        ("m_2", "dm", True, "t_1")]
    assert query(rsps.calls[0])["platform"] == ["messenger"]
    assert result.more is False and result.cursor["since"] is not None


def test_reply_public_posts_to_the_comment(rsps, fb_connector):
    rsps.post(f"{GRAPH}/{POST_A}_5/comments", json={"id": f"{POST_A}_9"})
    sent = fb_connector.reply_public(f"{POST_A}_5", "Bonjour ^Marie")
    assert sent.platform_id == f"{POST_A}_9"
    body = parse_qs(rsps.calls[0].request.body)
    assert body["message"] == ["Bonjour ^Marie"] and body["access_token"] == ["ptok"]


@freeze_time("2025-03-10 12:00:00")
def test_private_reply_once_per_comment(rsps, fb_connector):
    rsps.get(f"{GRAPH}/{POST_A}_5", json={"id": f"{POST_A}_5",
                                          "created_time": "2025-03-09T12:00:00+0000"})
    rsps.post(f"{GRAPH}/{PAGE_ID}/messages", json={"recipient_id": "6001",
                                                   "message_id": "m_77"})
    sent = fb_connector.send_private(recipient_id=None, text="Bonjour", comment_id=f"{POST_A}_5")
    assert sent.platform_id == "m_77"
    body = parse_qs(rsps.calls[1].request.body)
    assert json.loads(body["recipient"][0]) == {"comment_id": f"{POST_A}_5"}
    assert json.loads(body["message"][0]) == {"text": "Bonjour"}

    rsps.replace(responses.POST, f"{GRAPH}/{PAGE_ID}/messages", status=400,
                 json=graph_error(10900, message="(#10900) Activity already replied to"))
    with pytest.raises(PrivateReplyUnavailable) as info:
        fb_connector.send_private(recipient_id=None, text="Encore", comment_id=f"{POST_A}_5")
    assert "already" in info.value.reason


@freeze_time("2025-03-10 12:00:00")
def test_private_reply_older_than_seven_days_is_refused_before_sending(rsps, fb_connector):
    assert fb_connector.private_reply_window == timedelta(days=7)
    rsps.get(f"{GRAPH}/{POST_A}_5", json={"id": f"{POST_A}_5",
                                          "created_time": "2025-03-03T11:59:00+0000"})
    posted = rsps.post(f"{GRAPH}/{PAGE_ID}/messages", json={"message_id": "m_1"})
    with pytest.raises(PrivateReplyUnavailable) as info:
        fb_connector.send_private(recipient_id=None, text="Hi", comment_id=f"{POST_A}_5")
    assert "7-day" in info.value.reason
    assert posted.call_count == 0


@pytest.mark.parametrize(("code", "subcode"), [(10, 2018278), (2018278, None), (551, None)])
def test_private_reply_graph_refusals(rsps, fb_connector, code, subcode):
    rsps.get(f"{GRAPH}/{POST_A}_5", json={"id": f"{POST_A}_5"})  # no created_time
    rsps.post(f"{GRAPH}/{PAGE_ID}/messages", status=400, json=graph_error(code, subcode))
    with pytest.raises(PrivateReplyUnavailable):
        fb_connector.send_private(recipient_id=None, text="Hi", comment_id=f"{POST_A}_5")


def test_messenger_message_uses_recipient_id(rsps, fb_connector):
    rsps.post(f"{GRAPH}/{PAGE_ID}/messages", json={"recipient_id": "6001",
                                                   "message_id": "m_5"})
    fb_connector.send_private(recipient_id="6001", text="Bonjour")
    body = parse_qs(rsps.calls[0].request.body)
    assert json.loads(body["recipient"][0]) == {"id": "6001"}
    assert body["messaging_type"] == ["RESPONSE"]


def test_code_190_is_auth_expired(rsps, fb_connector):
    rsps.get(f"{GRAPH}/{PAGE_ID}", status=400, json=graph_error(190, 463))
    with pytest.raises(AuthExpired):
        fb_connector.test_connection()


@pytest.mark.parametrize(("code", "error"), [(10, PermissionDenied), (200, PermissionDenied),
                                              (1, PlatformError), (2, PlatformError)])
def test_other_graph_codes(rsps, fb_connector, code, error):
    rsps.get(f"{GRAPH}/{PAGE_ID}", status=500 if code in (1, 2) else 400,
             json=graph_error(code))
    with pytest.raises(error):
        fb_connector.test_connection()


@freeze_time("2025-03-01 12:00:00")
@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_rate_limit_codes_use_usage_headers(rsps, fb_connector, code):
    usage = {PAGE_ID: [{"type": "pages", "call_count": 100, "total_cputime": 30,
                        "total_time": 40, "estimated_time_to_regain_access": 7}]}
    rsps.get(f"{GRAPH}/{PAGE_ID}/posts", status=400, json=graph_error(code),
             headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
    with pytest.raises(RateLimited) as info:
        fb_connector.poll_mentions(None)
    assert info.value.retry_after == 7 * 60
    assert info.value.reset_at == datetime(2025, 3, 1, 12, 7, tzinfo=UTC)
    assert info.value.cursor is not None


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_rate_limit_without_estimate_backs_off(rsps, fb_connector, code):
    rsps.get(f"{GRAPH}/{PAGE_ID}/posts", status=400, json=graph_error(code),
             headers={"X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 20,
                                                  "total_time": 25})})
    with pytest.raises(RateLimited) as first:
        fb_connector.poll_mentions(None)
    with pytest.raises(RateLimited) as second:
        fb_connector.poll_mentions(first.value.cursor)
    assert first.value.reset_at is None
    assert first.value.retry_after == backoff_seconds(0)
    assert second.value.retry_after == backoff_seconds(1) > first.value.retry_after


def test_graph_version_setting_is_used_in_urls(rsps):
    settings = ChannelSettings(account_id=PAGE_ID, credentials={"access_token": "t"},
                               graph_version="19.0",
                               api_base_url="http://sandbox.test/sandbox/graph")
    rsps.get(f"http://sandbox.test/sandbox/graph/v19.0/{PAGE_ID}",
             json={"id": PAGE_ID, "name": "Marketplace"})
    assert FacebookConnector(settings).test_connection()["name"] == "Marketplace"
    assert urlparse(rsps.calls[0].request.url).path == f"/sandbox/graph/v19.0/{PAGE_ID}"


def test_default_graph_version_is_current(fb_connector):
    assert fb_connector.graph.version == "v21.0"


def test_invalid_graph_version_is_refused():
    with pytest.raises(ValueError):
        FacebookConnector(ChannelSettings(account_id="1", credentials={},
                                          graph_version="latest"))


def test_timeout_on_send_is_send_timeout(rsps, fb_connector):
    rsps.post(f"{GRAPH}/{POST_A}_5/comments", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(SendTimeout):
        fb_connector.reply_public(f"{POST_A}_5", "Bonjour")


def test_find_sent_public(rsps, fb_connector):
    rsps.get(f"{GRAPH}/{POST_A}_5/comments", json={"data": [
        comment(f"{POST_A}_20", author_id="555", message="Bonjour ^Marie",
                created="2025-03-01T10:01:00+0000"),
        comment(f"{POST_A}_21", author_id=PAGE_ID, message="Bonjour ^Marie",
                created="2025-03-01T10:01:00+0000"),
    ]})
    since = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    found = fb_connector.find_sent(f"{POST_A}_5", "Bonjour ^Marie", since)
    assert found is not None and found.platform_id == f"{POST_A}_21"
    assert fb_connector.find_sent(f"{POST_A}_5", "Bonjour ^Marie",
                                  since + timedelta(hours=2)) is None


def test_deleted_post_is_skipped_not_stuck(rsps, fb_connector):
    rsps.get(f"{GRAPH}/{PAGE_ID}/posts", json={"data": [{"id": POST_B}, {"id": POST_A}]})
    rsps.get(f"{GRAPH}/{POST_B}/comments", status=400, json=graph_error(
        100, 33, "Object with ID does not exist"))
    rsps.get(f"{GRAPH}/{POST_A}/comments", json={"data": [comment(f"{POST_A}_3")]})
    first = fb_connector.poll_mentions(None)
    assert [s.platform_id for s in first.skipped] == [POST_B]
    assert first.more is True
    second = fb_connector.poll_mentions(first.cursor)
    assert [i.platform_id for i in second.items] == [f"{POST_A}_3"]
