"""Adaptive polling: the pace follows the platform's rate-limit headers, channels of one app
share its budget, never under the floor nor into a 429; the channel page says why."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from app.channels.crypto import encrypt
from app.extensions import db
from app.jobs import pace
from app.jobs.poll import poll_channel
from app.models import Channel, RateBudget, Role, User, utcnow
from connectors.base import RateInfo, graph_rate_info, x_rate_info
from tests.jobs.sandbox_http import HttpSandbox

FLOOR = 5


def _row(**values: object) -> RateBudget:
    return RateBudget(key="k:public", **values)


def test_x_headers_are_read() -> None:
    info = x_rate_info({"x-rate-limit-remaining": "12", "x-rate-limit-limit": "450",
                        "x-rate-limit-reset": "1893456000"})
    assert info == RateInfo(remaining=12, limit=450, reset_at=info.reset_at if info else None)
    assert info is not None and info.reset_at is not None
    assert info.reset_at.isoformat() == "2030-01-01T00:00:00+00:00"
    assert x_rate_info({}) is None
    assert x_rate_info({"x-rate-limit-remaining": "many", "x-rate-limit-limit": "450",
                        "x-rate-limit-reset": "1893456000"}) is None


def test_graph_usage_headers_are_read() -> None:
    now = utcnow()
    # The shapes of Meta's "Rate limits" page: x-app-usage, and x-business-use-case-usage
    # keyed by business id with a list of usages.
    info = graph_rate_info({
        "X-App-Usage": json.dumps({"call_count": 28, "total_time": 25, "total_cputime": 12}),
        "X-Business-Use-Case-Usage": json.dumps({"112233": [{
            "type": "pages", "call_count": 61, "total_cputime": 40, "total_time": 72,
            "estimated_time_to_regain_access": 0}]}),
    }, now)
    assert info == RateInfo(usage_percent=72.0)
    throttled = graph_rate_info({"x-business-use-case-usage": json.dumps({"1": [{
        "call_count": 100, "total_time": 40, "total_cputime": 10,
        "estimated_time_to_regain_access": 7}]})}, now)
    assert throttled is not None and throttled.regain_at == now + timedelta(minutes=7)
    assert graph_rate_info({"x-app-usage": "{oops"}, now) is None


def test_x_pace_spreads_the_calls_left_over_the_window() -> None:
    now = utcnow()
    reset = now + timedelta(seconds=100)
    # Plenty left: the floor.
    assert pace.x_pace([_row(remaining=400, limit=450, reset_at=reset)], 1, now, FLOOR) \
        == pace.Pace(FLOOR, "floor")
    # 20 left, 10 kept in reserve (10% of 100): 10 calls over 100 s.
    assert pace.x_pace([_row(remaining=20, limit=100, reset_at=reset)], 1, now, FLOOR) \
        == pace.Pace(10, "budget")
    # Two channels share the app's budget: each polls half as often.
    assert pace.x_pace([_row(remaining=20, limit=100, reset_at=reset)], 2, now, FLOOR) \
        == pace.Pace(20, "budget")
    # Nothing left beyond the reserve: not before the reset (never into a 429).
    assert pace.x_pace([_row(remaining=10, limit=100, reset_at=reset)], 1, now, FLOOR) \
        == pace.Pace(100, "exhausted")
    # A window that is over starts full again: no figure to go by.
    assert pace.x_pace([_row(remaining=0, limit=100, reset_at=now)], 1, now, FLOOR) is None
    # The tightest endpoint decides.
    assert pace.x_pace([_row(remaining=400, limit=450, reset_at=reset),
                        _row(remaining=20, limit=100, reset_at=reset)], 1, now, FLOOR) \
        == pace.Pace(10, "budget")


def test_graph_pace_stretches_with_usage() -> None:
    now = utcnow()
    assert pace.graph_pace([_row(usage_percent=30.0)], now, FLOOR) == pace.Pace(FLOOR, "floor")
    assert pace.graph_pace([_row(usage_percent=70.0)], now, FLOOR) == pace.Pace(20, "usage")
    assert pace.graph_pace([_row(usage_percent=100.0)], now, FLOOR) == pace.Pace(160, "usage")
    assert pace.graph_pace([_row(usage_percent=95.0, regain_at=now + timedelta(minutes=3))],
                           now, FLOOR) == pace.Pace(180, "exhausted")
    assert pace.graph_pace([], now, FLOOR) is None


def test_record_is_an_upsert(app: Flask) -> None:
    now = utcnow()
    pace.record("x:app:abc", "public", RateInfo(remaining=5, limit=10,
                                                reset_at=now + timedelta(seconds=60)), now)
    pace.record("x:app:abc", "public", RateInfo(remaining=4, limit=10,
                                                reset_at=now + timedelta(seconds=59)), now)
    pace.record("x:app:abc", "public", None, now)
    db.session.commit()
    rows = pace.budgets("x:app:abc")
    assert [(r.key, r.remaining) for r in rows] == [("x:app:abc:public", 4)]


def test_a_poll_records_the_budget_and_sets_the_pace(
        app: Flask, http_sandbox: HttpSandbox,
        sandbox_channel: Callable[..., Channel]) -> None:
    channel = sandbox_channel("x")
    assert poll_channel(channel.id).state == "ok"
    db.session.expire_all()
    channel = db.session.get(Channel, channel.id)
    assert channel.rate_budget_key == f"x:account:{channel.account_id}"
    # The sandbox answers 449 of 450 calls left for 15 minutes: far more than needed.
    assert (channel.poll_pace_seconds, channel.poll_pace_reason) == (FLOOR, "floor")
    rows = {r.key.rsplit(":", 1)[1]: r for r in pace.budgets(channel.rate_budget_key)}
    assert set(rows) == {"public", "private"} and rows["public"].remaining == 449
    assert not pace.due(channel, utcnow())
    assert pace.due(channel, utcnow() + timedelta(seconds=FLOOR))
    # A 429 with its reset time: the pace is the wait, and nothing is sent before it.
    http_sandbox.fault("429", path="/mentions", reset_in=120)
    assert poll_channel(channel.id).state == "rate_limited"
    db.session.expire_all()
    channel = db.session.get(Channel, channel.id)
    assert channel.poll_pace_reason == "rate_limited"
    assert 110 <= (channel.poll_pace_seconds or 0) <= 121


@responses.activate
def test_channels_of_one_app_share_its_budget(
        app: Flask, make_channel: Callable[..., Channel]) -> None:
    keys = list(app.config["FERNET_KEYS"])
    creds = {"consumer_key": "ck", "consumer_secret": "cs", "access_token": "at",
             "access_token_secret": "as"}
    reset = int((utcnow() + timedelta(seconds=300)).timestamp())
    headers = {"x-rate-limit-remaining": "40", "x-rate-limit-limit": "100",
               "x-rate-limit-reset": str(reset)}
    channels = []
    for n in (1, 2):
        channels.append(make_channel("x", account_id=f"99{n}", handle=f"Brand{n}",
                                     credentials_encrypted=encrypt(creds, keys)))
        responses.get(f"https://api.twitter.com/2/users/99{n}/mentions",
                      json={"meta": {"result_count": 0}}, headers=headers)
        responses.get("https://api.twitter.com/2/dm_events",
                      json={"meta": {"result_count": 0}}, headers=headers)
    poll_channel(channels[0].id)
    first = db.session.get(Channel, channels[0].id)
    assert first.rate_budget_key == "x:app:" + hashlib.sha256(b"ck").hexdigest()[:16]
    alone = first.poll_pace_seconds
    poll_channel(channels[1].id)
    poll_channel(channels[0].id)
    db.session.expire_all()
    shared = db.session.get(Channel, channels[0].id).poll_pace_seconds
    # 40 left, 10 in reserve, ~300 s to the reset: ~10 s alone, ~20 s for two channels.
    assert alone is not None and shared is not None
    assert 9 <= alone <= 11 and 19 <= shared <= 21


@pytest.mark.parametrize("lang, text", [
    ("en", "held at the floor of 5 s"),
    ("fr", "plancher de 5 s"),
])
def test_the_channel_page_says_the_interval_and_why(
        app: Flask, client: FlaskClient, http_sandbox: HttpSandbox,
        sandbox_channel: Callable[..., Channel], make_user: Callable[..., User],
        login: Callable[..., object], lang: str, text: str) -> None:
    channel = sandbox_channel("x")
    poll_channel(channel.id)
    admin = make_user(role=Role.ADMIN)
    login(admin)
    html = client.get(f"/admin/channels/{channel.id}",
                      headers={"Accept-Language": lang}).get_data(as_text=True)
    assert text in html
    channel = db.session.get(Channel, channel.id)
    channel.stream_enabled = True
    channel.stream_seen_at = utcnow()
    db.session.commit()
    html = client.get(f"/admin/channels/{channel.id}",
                      headers={"Accept-Language": lang}).get_data(as_text=True)
    assert ("The X stream delivers" if lang == "en" else "Le flux X") in html


def test_while_webhooks_deliver_the_job_sleeps_until_the_safety_poll(
        app: Flask, http_sandbox: HttpSandbox,
        sandbox_channel: Callable[..., Channel]) -> None:
    channel = sandbox_channel("facebook")
    assert poll_channel(channel.id).state == "ok"
    channel = db.session.get(Channel, channel.id)
    channel.webhook_seen_at = utcnow()
    db.session.commit()
    assert poll_channel(channel.id).state == "waiting"
    db.session.expire_all()
    channel = db.session.get(Channel, channel.id)
    safety = int(app.config["WEBHOOK_SAFETY_POLL_SECONDS"])
    assert (channel.poll_pace_seconds, channel.poll_pace_reason) == (safety, "webhooks")
    assert channel.last_poll_at is not None
    assert not pace.due(channel, channel.last_poll_at + timedelta(seconds=safety - 1))
    assert pace.due(channel, channel.last_poll_at + timedelta(seconds=safety))
