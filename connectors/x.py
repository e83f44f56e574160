"""X (Twitter) connector over tweepy's API v2 ``tweepy.Client``.

Credentials (``ChannelSettings.credentials``): either ``bearer_token`` (an
OAuth 2.0 user-context token, needed for DMs and posting) or the OAuth 1.0a
user-context quartet ``consumer_key``, ``consumer_secret``, ``access_token``,
``access_token_secret``. ``ChannelSettings.account_id`` is the brand's numeric
X user id; ``api_base_url`` (default https://api.twitter.com) may point at the
local sandbox (``{root}/x``).

Mentions cursor: ``{"since_id", "next_token", "pending_newest_id"}``. While
walking ``next_token`` pages ``since_id`` is left unchanged and the newest id of
the walk is kept in ``pending_newest_id``; ``since_id`` only moves when the last
page has been handed over. A crash between pages therefore resumes the walk
(or, if the token has expired, restarts it from the same ``since_id``).

DM cursor: ``{"last_seen_id", "next_token", "pending_newest_id"}``. The
``/2/dm_events`` endpoint has no ``since_id``; pages are walked newest first
until an already-seen event id, and ``last_seen_id`` moves at the end only.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeGuard, TypeVar

import requests
import tweepy

from connectors.base import (
    Attachment,
    AuthExpired,
    Author,
    ChannelSettings,
    InboundPost,
    PayloadError,
    PermissionDenied,
    PlatformError,
    PollResult,
    RateInfo,
    RateLimited,
    SendResult,
    SkippedItem,
    as_object,
    backoff_attempt,
    backoff_cursor,
    backoff_seconds,
    network_failure,
    normalise_text,
    parse_time,
    utcnow,
    x_rate_info,
)
from connectors.registry import register

log = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.twitter.com"
# The host tweepy 4.x writes into every URL it builds (BaseClient.request).
_TWEEPY_HOST = "https://api.twitter.com"
# X snowflake epoch (ms); used to date a tweet that comes without created_at.
_SNOWFLAKE_EPOCH_MS = 1288834974657

TWEET_FIELDS = ["created_at", "conversation_id", "in_reply_to_user_id", "referenced_tweets",
                "note_tweet", "attachments", "edit_history_tweet_ids"]
MEDIA_FIELDS = ["type", "url", "preview_image_url", "variants"]
MENTION_EXPANSIONS = ["author_id", "attachments.media_keys"]
USER_FIELDS = ["public_metrics", "username", "name"]
DM_EVENT_FIELDS = [
    "id",
    "text",
    "event_type",
    "created_at",
    "sender_id",
    "dm_conversation_id",
    "participant_ids",
]
PAGE_SIZE = 100
# How many pages of the brand's own timeline find_sent reads back at most.
FIND_SENT_MAX_PAGES = 5

T = TypeVar("T")


class _RebasedSession(requests.Session):
    """A requests session that sends tweepy's requests to a configurable host.

    tweepy 4.17 ``BaseClient.request`` hard-codes ``https://api.twitter.com``
    and passes no timeout. Rewriting the URL prefix here (rather than copying
    tweepy's whole ``request`` method) keeps tweepy's auth, parameter handling
    and error classes untouched while letting us target the sandbox and bound
    every call with a timeout.
    """

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    # Same call as requests.Session.request, its many keywords taken as **kwargs (passed on
    # unchanged): narrower in the type checker's eyes only.
    def request(  # type: ignore[override]
            self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        """Rebase ``url`` onto the configured host and apply the default timeout."""
        if isinstance(url, str) and url.startswith(_TWEEPY_HOST):
            url = self.base_url + url[len(_TWEEPY_HOST) :]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)


class RebasedClient(tweepy.Client):
    """``tweepy.Client`` whose API host and timeout are settings (see _RebasedSession)."""

    def __init__(self, *args: Any, api_base_url: str, timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session = _RebasedSession(api_base_url, timeout)


def tweet_media(body: dict[str, Any]) -> dict[str, Attachment]:
    """``includes.media`` by ``media_key``: photos by ``url``, videos and GIFs by their
    ``preview_image_url`` (and best mp4 variant when asked)."""
    found: dict[str, Attachment] = {}
    media = as_object(body.get("includes")).get("media")
    for item in media if isinstance(media, list) else []:
        entry = as_object(item)
        key = entry.get("media_key")
        if not isinstance(key, str) or not key:
            continue
        kind = entry.get("type") if isinstance(entry.get("type"), str) else "photo"
        preview = entry.get("preview_image_url") or entry.get("url")
        url = entry.get("url")
        variants = entry.get("variants")
        if not url and isinstance(variants, list):
            mp4 = [as_object(v) for v in variants
                   if as_object(v).get("content_type") == "video/mp4" and as_object(v).get("url")]
            if mp4:
                url = max(mp4, key=lambda v: int(v.get("bit_rate") or 0))["url"]
        preview_text = str(preview) if preview else None
        found[key] = Attachment(str(kind)[:40], str(url) if url else preview_text, preview_text)
    return found


def _snowflake_time(tweet_id: str) -> datetime | None:
    """Return the creation time encoded in an X id, or None if it is not a snowflake."""
    try:
        ms = (int(tweet_id) >> 22) + _SNOWFLAKE_EPOCH_MS
    except ValueError:
        return None
    # Ids below the snowflake era decode to 2010; treat them as unknown.
    if ms <= _SNOWFLAKE_EPOCH_MS:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC)


def _is_id(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and value.isdigit()


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


@register("x")
class XConnector:
    """Connector for one X account (see module docstring for cursors)."""

    network = "x"
    max_length = 280
    private_reply_window: timedelta | None = None
    page_size = PAGE_SIZE  # items asked per page (tests lower it to force paging)

    def __init__(self, settings: ChannelSettings) -> None:
        self.settings = settings
        creds = settings.credentials or {}
        self.account_id = str(settings.account_id)
        oauth1 = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
        # OAuth 1.0a when the full quartet is present, otherwise a bearer token.
        self.user_auth = all(creds.get(key) for key in oauth1)
        self.base_url = (settings.api_base_url or DEFAULT_API_BASE_URL).rstrip("/")
        self.client = RebasedClient(
            bearer_token=creds.get("bearer_token"),
            consumer_key=creds.get("consumer_key"),
            consumer_secret=creds.get("consumer_secret"),
            access_token=creds.get("access_token"),
            access_token_secret=creds.get("access_token_secret"),
            # requests.Response keeps the rate-limit headers reachable.
            return_type=requests.Response,
            # The poller decides when to retry; a connector never sleeps.
            wait_on_rate_limit=False,
            api_base_url=self.base_url,
            timeout=settings.timeout,
        )
        #: The rate budget the last answer described (its ``x-rate-limit-*`` headers).
        self.last_rate: RateInfo | None = None

    # -- error mapping -------------------------------------------------

    def _call(
        self,
        fn: Callable[[], requests.Response],
        *,
        send: bool = False,
        attempt: int = 0,
        cursor: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Run one tweepy call and translate every failure into a ConnectorError."""
        try:
            response = fn()
        except tweepy.TooManyRequests as exc:
            raise self._rate_limited(exc, attempt, cursor) from exc
        except tweepy.Unauthorized as exc:
            raise AuthExpired(_describe(exc)) from exc
        except tweepy.Forbidden as exc:
            raise PermissionDenied(_describe(exc)) from exc
        except tweepy.HTTPException as exc:
            status = getattr(exc.response, "status_code", None)
            code = exc.api_codes[0] if exc.api_codes else None
            raise PlatformError(status, code, _describe(exc)) from exc
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise network_failure(exc, send=send, platform="X") from exc
        self.last_rate = x_rate_info(getattr(response, "headers", None)) or self.last_rate
        try:
            body = response.json()
        except ValueError as exc:
            raise PayloadError(f"X answered non-JSON ({response.status_code})") from exc
        if not isinstance(body, dict):
            raise PayloadError("X answered a JSON value that is not an object")
        return body

    def _rate_limited(
        self, exc: tweepy.TooManyRequests, attempt: int, cursor: dict[str, Any] | None
    ) -> RateLimited:
        reset = exc.reset_time
        next_cursor = backoff_cursor(cursor, attempt)
        if reset is not None:
            reset_at = datetime.fromtimestamp(int(reset), UTC)
            retry_after = max(0.0, (reset_at - utcnow()).total_seconds())
            return RateLimited(
                reset_at, retry_after, attempt=attempt, cursor=next_cursor,
                message="X rate limit",
            )
        return RateLimited(
            None, backoff_seconds(attempt), attempt=attempt, cursor=next_cursor,
            message="X rate limit (no reset header)",
        )

    # -- parsing -------------------------------------------------------

    def _author(self, user_id: Any, users: dict[str, dict[str, Any]]) -> Author:
        user = users.get(str(user_id)) if user_id is not None else None
        if not user:
            # Deleted/suspended authors are absent from includes.users.
            return Author(platform_id=str(user_id or ""), handle="", name="", followers=None)
        metrics = user.get("public_metrics")
        followers = (
            _int_or_none(metrics.get("followers_count")) if isinstance(metrics, dict) else None
        )
        return Author(
            platform_id=str(user_id),
            handle=str(user.get("username") or ""),
            name=str(user.get("name") or user.get("username") or ""),
            followers=followers,
        )

    @staticmethod
    def _users(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
        includes = body.get("includes")
        users = includes.get("users") if isinstance(includes, dict) else None
        if not isinstance(users, list):
            return {}
        return {str(u["id"]): u for u in users if isinstance(u, dict) and "id" in u}

    def _created_at(self, item: dict[str, Any], item_id: str) -> datetime:
        raw = item.get("created_at")
        if raw is not None:
            return parse_time(raw)
        return _snowflake_time(item_id) or utcnow()

    def _parse_tweet(
        self, tweet: Any, users: dict[str, dict[str, Any]],
        media: dict[str, Attachment] | None = None,
    ) -> InboundPost | SkippedItem:
        if not isinstance(tweet, dict):
            return SkippedItem(None, "tweet is not an object")
        tweet_id = tweet.get("id")
        if not _is_id(tweet_id):
            return SkippedItem(str(tweet_id) if tweet_id else None, "tweet has no valid id")
        text = tweet.get("text")
        if not isinstance(text, str):
            return SkippedItem(tweet_id, "tweet has no text")
        try:
            created_at = self._created_at(tweet, tweet_id)
        except ValueError as exc:
            return SkippedItem(tweet_id, f"bad created_at: {exc}")
        parent_id = None
        refs = tweet.get("referenced_tweets")
        if isinstance(refs, list):
            for ref in refs:
                if isinstance(ref, dict) and ref.get("type") == "replied_to":
                    parent_id = str(ref.get("id")) if ref.get("id") else None
        # A post longer than 280 characters comes cut, with its whole text in note_tweet.
        note = as_object(tweet.get("note_tweet")).get("text")
        if isinstance(note, str) and note:
            text = note
        author = self._author(tweet.get("author_id"), users)
        handle_path = author.handle or "i/web"
        keys = as_object(tweet.get("attachments")).get("media_keys")
        attachments = [media[str(key)] for key in keys if str(key) in media] \
            if isinstance(keys, list) and media else []
        history = tweet.get("edit_history_tweet_ids")
        edits = [str(i) for i in history if _is_id(i)] if isinstance(history, list) else []
        return InboundPost(
            platform_id=tweet_id,
            kind="mention",
            conversation_id=str(tweet.get("conversation_id") or tweet_id),
            parent_id=parent_id,
            author=author,
            text=text,
            created_at=created_at,
            url=f"https://x.com/{handle_path}/status/{tweet_id}",
            private=False,
            raw=tweet,
            attachments=attachments,
            edit_history=edits if len(edits) > 1 else [],
        )

    def _parse_dm(
        self, event: Any, users: dict[str, dict[str, Any]]
    ) -> InboundPost | SkippedItem:
        if not isinstance(event, dict):
            return SkippedItem(None, "DM event is not an object")
        event_id = event.get("id")
        if not _is_id(event_id):
            return SkippedItem(str(event_id) if event_id else None, "DM event has no valid id")
        text = event.get("text")
        if not isinstance(text, str):
            return SkippedItem(event_id, "DM event has no text")
        sender = event.get("sender_id")
        if not sender:
            return SkippedItem(event_id, "DM event has no sender_id")
        try:
            created_at = self._created_at(event, event_id)
        except ValueError as exc:
            return SkippedItem(event_id, f"bad created_at: {exc}")
        conversation = event.get("dm_conversation_id")
        if not conversation:
            low, high = sorted([str(sender), self.account_id],
                               key=lambda v: int(v) if v.isdigit() else 0)
            conversation = f"{low}-{high}"
        return InboundPost(
            platform_id=event_id,
            kind="dm",
            conversation_id=str(conversation),
            parent_id=None,
            author=self._author(sender, users),
            text=text,
            created_at=created_at,
            url=None,
            private=True,
            raw=event,
        )

    def parse_payload(self, body: dict[str, Any]) -> tuple[list[InboundPost], list[SkippedItem]]:
        """The posts of one X answer or stream message (``data`` one tweet or a list, with
        ``includes``): parsed by the same code as a polled page, the brand's own left out."""
        data = body.get("data")
        if isinstance(data, dict):
            data = [data]
        users = self._users(body)
        media = tweet_media(body)
        return self._collect(data, lambda t: self._parse_tweet(t, users, media))

    # -- polling -------------------------------------------------------

    def poll_mentions(self, cursor: dict[str, Any] | None) -> PollResult:
        """Fetch one page of mentions of the brand (see module docstring for the cursor)."""
        cursor = dict(cursor or {})
        since_id = cursor.get("since_id")
        next_token = cursor.get("next_token")
        pending = cursor.get("pending_newest_id")
        attempt = backoff_attempt(cursor)

        def fetch(token: str | None) -> dict[str, Any]:
            params: dict[str, Any] = {
                "max_results": self.page_size,
                "expansions": MENTION_EXPANSIONS,
                "user_fields": USER_FIELDS,
                "tweet_fields": TWEET_FIELDS,
                "media_fields": MEDIA_FIELDS,
                "user_auth": self.user_auth,
            }
            if since_id:
                params["since_id"] = since_id
            if token:
                params["pagination_token"] = token
            return self._call(
                lambda: self.client.get_users_mentions(self.account_id, **params),
                attempt=attempt,
                cursor=cursor,
            )

        try:
            body = fetch(next_token)
        except PlatformError as exc:
            if not next_token or exc.status != 400:
                raise
            # An expired pagination token: restart the walk from since_id,
            # which only costs duplicates the caller dedupes by id.
            log.warning("X refused pagination token, restarting from since_id: %s", exc)
            next_token, pending = None, None
            body = fetch(None)

        users = self._users(body)
        media = tweet_media(body)
        items, skipped = self._collect(
            body.get("data"), lambda t: self._parse_tweet(t, users, media), floor=since_id
        )
        meta = as_object(body.get("meta"))
        page_newest = _max_id([meta.get("newest_id"), *[i.platform_id for i in items],
                               *[s.platform_id for s in skipped]])
        pending = page_newest if not next_token else _max_id([pending, page_newest])
        new_token = meta.get("next_token")
        if new_token:
            new_cursor = {"since_id": since_id, "next_token": new_token,
                          "pending_newest_id": pending}
            return PollResult(items, new_cursor, skipped, more=True, rate=self.last_rate)
        new_cursor = {"since_id": _max_id([since_id, pending]), "next_token": None,
                      "pending_newest_id": None}
        return PollResult(items, new_cursor, skipped, more=False, rate=self.last_rate)

    def _collect(
        self,
        data: Any,
        parse: Callable[[Any], InboundPost | SkippedItem],
        *,
        floor: str | None = None,
    ) -> tuple[list[InboundPost], list[SkippedItem]]:
        """Parse a page, dropping duplicates, items at/below ``floor`` and the brand's own."""
        items: list[InboundPost] = []
        skipped: list[SkippedItem] = []
        if data is None:
            return items, skipped
        if not isinstance(data, list):
            raise PayloadError("X 'data' is not a list")
        seen: set[str] = set()
        floor_int = int(floor) if _is_id(floor) else None
        for raw in data:
            parsed = parse(raw)
            if isinstance(parsed, SkippedItem):
                skipped.append(parsed)
                continue
            if parsed.platform_id in seen:
                continue
            if floor_int is not None and int(parsed.platform_id) <= floor_int:
                # Already delivered by an earlier poll (overlapping page).
                continue
            seen.add(parsed.platform_id)
            if parsed.author.platform_id == self.account_id:
                continue
            items.append(parsed)
        return items, skipped

    def poll_private(self, cursor: dict[str, Any] | None) -> PollResult:
        """Fetch one page of direct messages received (see module docstring for the cursor)."""
        cursor = dict(cursor or {})
        last_seen = cursor.get("last_seen_id")
        next_token = cursor.get("next_token")
        pending = cursor.get("pending_newest_id")
        attempt = backoff_attempt(cursor)
        params: dict[str, Any] = {
            "event_types": "MessageCreate",
            "dm_event_fields": DM_EVENT_FIELDS,
            "expansions": ["sender_id"],
            "user_fields": USER_FIELDS,
            "max_results": self.page_size,
            "user_auth": self.user_auth,
        }
        if next_token:
            params["pagination_token"] = next_token
        body = self._call(
            lambda: self.client.get_direct_message_events(**params),
            attempt=attempt,
            cursor=cursor,
        )
        users = self._users(body)
        data = body.get("data")
        raw_ids = [e.get("id") for e in data if isinstance(e, dict)] \
            if isinstance(data, list) else []
        events = [e for e in data if not isinstance(e, dict) or e.get("event_type") in
                  (None, "MessageCreate")] if isinstance(data, list) else data
        items, skipped = self._collect(
            events, lambda e: self._parse_dm(e, users), floor=last_seen
        )
        page_newest = _max_id(raw_ids)
        pending = page_newest if not next_token else _max_id([pending, page_newest])
        reached_known = _is_id(last_seen) and any(
            _is_id(i) and int(i) <= int(last_seen) for i in raw_ids
        )
        meta = as_object(body.get("meta"))
        new_token = meta.get("next_token")
        if new_token and not reached_known:
            new_cursor = {"last_seen_id": last_seen, "next_token": new_token,
                          "pending_newest_id": pending}
            return PollResult(items, new_cursor, skipped, more=True, rate=self.last_rate)
        new_cursor = {"last_seen_id": _max_id([last_seen, pending]), "next_token": None,
                      "pending_newest_id": None}
        return PollResult(items, new_cursor, skipped, more=False, rate=self.last_rate)

    # -- sending -------------------------------------------------------

    def reply_public(self, in_reply_to: str, text: str) -> SendResult:
        """Post ``text`` as a reply to tweet ``in_reply_to``."""
        body = self._call(
            lambda: self.client.create_tweet(
                text=text, in_reply_to_tweet_id=in_reply_to, user_auth=self.user_auth
            ),
            send=True,
            attempt=self.settings.backoff_attempt,
        )
        data = as_object(body.get("data"))
        tweet_id = data.get("id")
        if not tweet_id:
            raise PayloadError("X did not return the id of the new tweet")
        handle = self.settings.handle or "i/web"
        return SendResult(str(tweet_id), f"https://x.com/{handle}/status/{tweet_id}", utcnow())

    def send_private(
        self, *, recipient_id: str | None, text: str, comment_id: str | None = None
    ) -> SendResult:
        """Send a direct message to user ``recipient_id`` (X has no comment private replies)."""
        if not recipient_id:
            raise ValueError("X direct messages need recipient_id (the customer's user id)")
        body = self._call(
            lambda: self.client.create_direct_message(
                participant_id=recipient_id, text=text, user_auth=self.user_auth
            ),
            send=True,
            attempt=self.settings.backoff_attempt,
        )
        data = as_object(body.get("data"))
        event_id = data.get("dm_event_id")
        if not event_id:
            raise PayloadError("X did not return the id of the new DM event")
        return SendResult(str(event_id), None, utcnow())

    def find_sent(
        self,
        in_reply_to: str | None,
        text: str,
        since: datetime,
        private: bool = False,
        recipient_id: str | None = None,
    ) -> SendResult | None:
        """Look for a tweet/DM by the brand with this text since ``since``; None if absent."""
        wanted = normalise_text(text)
        # Clocks differ slightly between us and X: look a little earlier.
        start = since.astimezone(UTC) - timedelta(seconds=60)
        if private:
            return self._find_sent_dm(wanted, start, recipient_id)
        token: str | None = None
        for _ in range(FIND_SENT_MAX_PAGES):
            params: dict[str, Any] = {
                "max_results": PAGE_SIZE,
                "start_time": start,
                "tweet_fields": TWEET_FIELDS,
                "user_auth": self.user_auth,
            }
            if token:
                params["pagination_token"] = token
            body = self._call(functools.partial(self.client.get_users_tweets, self.account_id,
                                                **params))
            for tweet in body.get("data") or []:
                if not isinstance(tweet, dict) or normalise_text(tweet.get("text", "")) != wanted:
                    continue
                refs = tweet.get("referenced_tweets") or []
                replied = {r.get("id") for r in refs if isinstance(r, dict)
                           and r.get("type") == "replied_to"}
                if in_reply_to is not None and str(in_reply_to) not in replied:
                    continue
                sent_at = self._safe_time(tweet)
                handle = self.settings.handle or "i/web"
                return SendResult(
                    str(tweet["id"]), f"https://x.com/{handle}/status/{tweet['id']}", sent_at
                )
            meta = body.get("meta") or {}
            token = meta.get("next_token")
            if not token:
                break
        return None

    def _find_sent_dm(
        self, wanted: str, start: datetime, recipient_id: str | None
    ) -> SendResult | None:
        token: str | None = None
        for _ in range(FIND_SENT_MAX_PAGES):
            params: dict[str, Any] = {
                "event_types": "MessageCreate",
                "dm_event_fields": DM_EVENT_FIELDS,
                "max_results": PAGE_SIZE,
                "user_auth": self.user_auth,
            }
            if recipient_id:
                params["participant_id"] = recipient_id
            if token:
                params["pagination_token"] = token
            body = self._call(functools.partial(self.client.get_direct_message_events, **params))
            reached_start = False
            for event in body.get("data") or []:
                if not isinstance(event, dict):
                    continue
                sent_at = self._safe_time(event)
                if sent_at < start:
                    reached_start = True
                    continue
                if (str(event.get("sender_id")) == self.account_id
                        and normalise_text(event.get("text", "")) == wanted):
                    return SendResult(str(event["id"]), None, sent_at)
            token = (body.get("meta") or {}).get("next_token")
            if not token or reached_start:
                break
        return None

    def _safe_time(self, item: dict[str, Any]) -> datetime:
        try:
            return self._created_at(item, str(item.get("id", "")))
        except ValueError:
            return utcnow()

    def test_connection(self) -> dict[str, Any]:
        """Return X's description of the authenticated account (``/2/users/me``)."""
        body = self._call(
            lambda: self.client.get_me(user_auth=self.user_auth, user_fields=USER_FIELDS)
        )
        data = body.get("data")
        if not isinstance(data, dict):
            raise PayloadError("X /2/users/me returned no data")
        return data


def _max_id(values: list[Any]) -> str | None:
    """Return the numerically largest id string among ``values`` (None if none)."""
    ids = [v for v in values if _is_id(v)]
    return max(ids, key=int) if ids else None


def _describe(exc: tweepy.HTTPException) -> str:
    messages = [m for m in exc.api_messages if m]
    if messages:
        return "; ".join(messages)
    response = exc.response
    return f"HTTP {getattr(response, 'status_code', '?')}"
