"""Fixtures for the connector contract tests (HTTP mocked with ``responses``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import responses

from connectors.base import ChannelSettings
from connectors.facebook import FacebookConnector
from connectors.x import XConnector

BRAND_X_ID = "1600000000000000001"
PAGE_ID = "104000000000001"
X_BASE = "https://api.twitter.com"
GRAPH = "https://graph.facebook.com/v21.0"


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """Every HTTP call must be mocked; unmatched calls raise ConnectionError."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def x_settings() -> ChannelSettings:
    return ChannelSettings(account_id=BRAND_X_ID, credentials={"bearer_token": "tok"},
                           handle="MarketplaceCare", timeout=2.0)


@pytest.fixture
def x_connector(x_settings: ChannelSettings) -> XConnector:
    return XConnector(x_settings)


@pytest.fixture
def fb_settings() -> ChannelSettings:
    return ChannelSettings(account_id=PAGE_ID, credentials={"page_access_token": "ptok"},
                           timeout=2.0)


@pytest.fixture
def fb_connector(fb_settings: ChannelSettings) -> FacebookConnector:
    return FacebookConnector(fb_settings)


def tweet(tweet_id: str, author_id: str = "2244994945", text: str = "@MarketplaceCare help",
          **extra: Any) -> dict[str, Any]:
    """A tweet object as documented for GET /2/users/:id/mentions."""
    body = {"id": tweet_id, "text": text, "author_id": author_id,
            "created_at": "2025-03-01T10:00:00.000Z", "conversation_id": tweet_id,
            "edit_history_tweet_ids": [tweet_id]}
    body.update(extra)
    return body


def x_user(user_id: str = "2244994945", username: str = "julie", followers: int = 312,
           ) -> dict[str, Any]:
    return {"id": user_id, "name": username.title(), "username": username,
            "public_metrics": {"followers_count": followers, "following_count": 1,
                               "tweet_count": 10, "listed_count": 0}}


def comment(comment_id: str, author_id: str = "555", message: str = "Où est ma commande ?",
            created: str = "2025-03-01T10:00:00+0000", **extra: Any) -> dict[str, Any]:
    """A comment object as documented for GET /{post-id}/comments."""
    body = {"id": comment_id, "message": message, "created_time": created,
            "from": {"id": author_id, "name": f"User {author_id}"}}
    body.update(extra)
    return body
