"""X filtered stream (``/2/tweets/search/stream``) through tweepy's ``StreamingClient``.

No Flask, no database: :class:`XStream` connects once per :meth:`XStream.run_once` call and
hands each message's posts to a callback, parsed by the same code as a polled page
(:meth:`connectors.x.XConnector.parse_payload`). The caller owns the reconnection loop and
waits between attempts as :class:`StreamBackoff` says, the back-off X documents for its
streaming endpoints ("Handling disconnections"):

* an established connection that drops: reconnect at once;
* TCP/IP (network) errors: back off linearly, 250 ms more each attempt, at most 16 s;
* HTTP errors: back off exponentially from 5 s, doubling, at most 320 s;
* HTTP 429: back off exponentially from one minute, doubling (capped here at 16 minutes).

tweepy's own loop would retry by itself with ``time.sleep`` (which no one can interrupt):
every error hook below disconnects instead, so that ``filter()`` returns and the caller waits
on something it can interrupt (a scheduler losing its lock must stop at once).

The rule (``stream_rule``) asks for mentions of the handle not written by it, tagged with
the account id (``rule_tag``), so several accounts can share one app's rules.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import tweepy

from connectors.base import (
    ChannelSettings,
    ConnectorError,
    InboundPost,
    PlatformError,
    SkippedItem,
)
from connectors.x import DEFAULT_API_BASE_URL, MEDIA_FIELDS, USER_FIELDS, XConnector

log = logging.getLogger(__name__)

_TWEEPY_HOST = "https://api.twitter.com"
# X sends a keep-alive newline every 20 s: tweepy reads with a 21 s timeout, so a silent
# connection ends as a network error and is reconnected.
#: A stream message longer than this is refused (logged and skipped), never parsed.
MAX_MESSAGE_BYTES = 512_000
STREAM_TWEET_FIELDS = ["created_at", "conversation_id", "in_reply_to_user_id",
                       "referenced_tweets", "note_tweet", "attachments",
                       "edit_history_tweet_ids", "author_id"]
STREAM_EXPANSIONS = ["author_id", "attachments.media_keys"]
RULE_TAG_PREFIX = "care-console:"


def stream_rule(handle: str) -> str:
    """The filtered-stream rule of an account: mentions of its handle, not from it."""
    clean = handle.lstrip("@").strip()
    if not clean or not all(c.isalnum() or c == "_" for c in clean):
        raise ValueError(f"not an X handle: {handle!r}")
    return f"@{clean} -from:{clean}"


def rule_tag(account_id: str) -> str:
    """The tag that marks an account's rule (and the messages it matched)."""
    return f"{RULE_TAG_PREFIX}{account_id}"


class StreamBackoff:
    """The waits X documents between reconnection attempts (see the module docstring)."""

    NETWORK_STEP = 0.25
    NETWORK_MAX = 16.0
    HTTP_START = 5.0
    HTTP_MAX = 320.0
    RATE_START = 60.0
    RATE_MAX = 960.0

    def __init__(self) -> None:
        self.network_attempts = 0
        self.http_attempts = 0
        self.rate_attempts = 0

    def connected(self) -> None:
        """A connection was established: the next drop reconnects at once."""
        self.network_attempts = self.http_attempts = self.rate_attempts = 0

    def after_network_error(self) -> float:
        """Seconds to wait after a TCP/IP error (linear)."""
        self.network_attempts += 1
        return min(self.NETWORK_MAX, self.NETWORK_STEP * self.network_attempts)

    def after_http_error(self, status: int | None) -> float:
        """Seconds to wait after an HTTP error (exponential; longer for 429)."""
        if status == 429:
            wait = self.RATE_START * 2.0 ** min(self.rate_attempts, 10)
            self.rate_attempts += 1
            return min(self.RATE_MAX, wait)
        wait = self.HTTP_START * 2.0 ** min(self.http_attempts, 10)
        self.http_attempts += 1
        return min(self.HTTP_MAX, wait)


@dataclass(frozen=True)
class StreamEnd:
    """How one connection ended: ``closed`` (it was up, then dropped), ``stopped`` (asked),
    ``network`` (TCP/IP error or read timeout), ``http`` (a non-200 answer, ``status``) or
    ``error`` (anything else, ``detail``)."""

    kind: str
    status: int | None = None
    detail: str | None = None
    connected: bool = False


@dataclass(frozen=True)
class StreamMessage:
    """What one stream line carried, parsed."""

    posts: list[InboundPost]
    skipped: list[SkippedItem]
    errors: list[str]  # the platform's own ``errors`` (e.g. an operational disconnect)


def parse_message(connector: XConnector, raw: bytes | str, tag: str | None) -> StreamMessage:
    """Parse one stream line. Never raises: a bad line becomes one skipped item.

    A message matched only by other accounts' rules (its ``matching_rules`` tags) is not
    this account's and is left out.
    """
    size = len(raw)
    if size > MAX_MESSAGE_BYTES:
        return StreamMessage([], [SkippedItem(None, f"message of {size} bytes, over "
                                                    f"{MAX_MESSAGE_BYTES}")], [])
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return StreamMessage([], [SkippedItem(None, f"not JSON: {exc}")], [])
    if not isinstance(body, dict):
        return StreamMessage([], [SkippedItem(None, "not a JSON object")], [])
    errors = [_error_text(e) for e in body.get("errors") or [] if isinstance(e, dict)] \
        if isinstance(body.get("errors"), list) else []
    if "data" not in body:
        return StreamMessage([], [], errors)
    rules = body.get("matching_rules")
    if tag and isinstance(rules, list) and rules:
        tags = {str(r.get("tag")) for r in rules if isinstance(r, dict)}
        if tag not in tags:
            return StreamMessage([], [], errors)
    try:
        posts, skipped = connector.parse_payload(body)
    except ConnectorError as exc:
        return StreamMessage([], [SkippedItem(None, str(exc))], errors)
    return StreamMessage(posts, skipped, errors)


def _error_text(error: dict[str, Any]) -> str:
    parts = [str(error.get(k)) for k in ("title", "disconnect_type", "detail") if error.get(k)]
    return ": ".join(parts) or json.dumps(error)[:200]


class _Session(requests.Session):
    """tweepy writes https://api.twitter.com into every URL: rebase it onto the setting."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.default_timeout = timeout

    def request(  # type: ignore[override]
            self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        """Rebase ``url`` and bound the call with the default timeout when none is given."""
        if isinstance(url, str) and url.startswith(_TWEEPY_HOST):
            url = self.base_url + url[len(_TWEEPY_HOST):]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, *args, **kwargs)


class _Client(tweepy.StreamingClient):
    """tweepy's StreamingClient whose hooks report to :class:`XStream` and never retry."""

    def __init__(self, owner: XStream, bearer_token: str, base_url: str, timeout: float) -> None:
        # X streams with chunked transfer encoding: a read returns at the end of each chunk,
        # so a message is handed over as soon as its line is complete.
        super().__init__(bearer_token, return_type=requests.Response, wait_on_rate_limit=False)
        self.owner = owner
        self.session = _Session(base_url, timeout)

    def on_connect(self) -> None:
        self.owner.connected()

    def on_data(self, raw_data: bytes) -> None:
        if self.owner.stopping:
            self.disconnect()
            return
        self.owner.message(raw_data)

    def on_keep_alive(self) -> None:
        if self.owner.stopping:
            self.disconnect()
            return
        self.owner.alive()

    def on_request_error(self, status_code: int) -> None:
        self.owner.ended(StreamEnd("http", status=status_code))
        self.disconnect()

    def on_connection_error(self) -> None:
        self.owner.ended(StreamEnd("network", detail="connection error or read timeout"))
        self.disconnect()

    def on_closed(self, response: requests.Response) -> None:
        self.owner.ended(StreamEnd("closed", detail="closed by the platform"))
        self.disconnect()

    def on_exception(self, exception: Exception) -> None:
        self.owner.ended(StreamEnd("error", detail=f"{type(exception).__name__}: {exception}"))


OnPosts = Callable[[StreamMessage], None]


class XStream:
    """One account's filtered stream; ``run_once`` holds one connection until it ends.

    Credentials: ``app_bearer_token`` (the App-only bearer token the filtered stream needs),
    else ``bearer_token``.
    """

    def __init__(self, settings: ChannelSettings, *, on_message: OnPosts,
                 on_connect: Callable[[], None] | None = None,
                 on_alive: Callable[[], None] | None = None) -> None:
        creds = settings.credentials or {}
        token = creds.get("app_bearer_token") or creds.get("bearer_token")
        if not token:
            raise ValueError("the X filtered stream needs an App-only bearer token")
        self.settings = settings
        self.tag = rule_tag(settings.account_id)
        self.parser = XConnector(settings)
        self.on_message = on_message
        self.on_connect = on_connect
        self.on_alive = on_alive
        self.client = _Client(self, token, settings.api_base_url or DEFAULT_API_BASE_URL,
                              settings.timeout)
        self._stopping = threading.Event()
        self._end: StreamEnd | None = None
        self._was_connected = False

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stopping.is_set()

    def stop(self) -> None:
        """Ask the connection to end; nothing is handed over after this call returns."""
        self._stopping.set()
        self.client.disconnect()

    # -- rules -----------------------------------------------------------------------

    def ensure_rule(self) -> str:
        """Make sure the account's rule is on the app's rule list (replacing an outdated one
        with the same tag); returns the rule's value."""
        if not self.settings.handle:
            raise ValueError("the X filtered stream needs the account's handle")
        wanted = stream_rule(self.settings.handle)
        try:
            body = _json(self.client.get_rules())
            current = [r for r in body.get("data") or [] if isinstance(r, dict)
                       and r.get("tag") == self.tag]
            if any(r.get("value") == wanted for r in current):
                return wanted
            stale = [str(r["id"]) for r in current if r.get("id")]
            if stale:
                self.client.delete_rules(stale)
            self.client.add_rules(tweepy.StreamRule(value=wanted, tag=self.tag))
        except tweepy.HTTPException as exc:
            status = getattr(exc.response, "status_code", None)
            raise PlatformError(status, exc.api_codes[0] if exc.api_codes else None,
                                "; ".join(m for m in exc.api_messages if m)
                                or f"HTTP {status}") from exc
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise PlatformError(None, "network", str(exc)) from exc
        return wanted

    # -- one connection ----------------------------------------------------------------

    def run_once(self) -> StreamEnd:
        """Connect, hand messages over until the connection ends; how it ended."""
        self._end = None
        self._was_connected = False
        if self.stopping:
            return StreamEnd("stopped")
        try:
            self.client.filter(expansions=STREAM_EXPANSIONS, tweet_fields=STREAM_TWEET_FIELDS,
                               user_fields=USER_FIELDS, media_fields=MEDIA_FIELDS)
        except Exception as exc:  # tweepy raises only when already connected
            return StreamEnd("error", detail=f"{type(exc).__name__}: {exc}")
        if self.stopping:
            return StreamEnd("stopped", connected=self._was_connected)
        end = self._end or StreamEnd("closed", detail="stream ended")
        return StreamEnd(end.kind, end.status, end.detail, connected=self._was_connected)

    # -- hooks (called from tweepy's loop) -----------------------------------------------

    def connected(self) -> None:
        """The connection is up."""
        self._was_connected = True
        if self.on_connect is not None:
            self.on_connect()

    def alive(self) -> None:
        """A keep-alive newline came."""
        if self.on_alive is not None:
            self.on_alive()

    def message(self, raw: bytes) -> None:
        """One message line came: parse it (never raising) and hand it over."""
        parsed = parse_message(self.parser, raw, self.tag)
        self.on_message(parsed)

    def ended(self, end: StreamEnd) -> None:
        """Remember how the connection ended (the first reason wins)."""
        if self._end is None:
            self._end = end


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except (ValueError, AttributeError):
        return {}
    return body if isinstance(body, dict) else {}
