"""Platform-neutral types shared by every connector.

Nothing here knows about Flask or a database: a connector receives a
:class:`ChannelSettings` and a cursor (a plain dict), and answers with plain
dataclasses or raises one of the typed :class:`ConnectorError` subclasses.

Caller's contract
-----------------
*Polling* is one page per call. The caller stores ``PollResult.items`` and
``PollResult.cursor`` in the same transaction, then calls again while
``PollResult.more`` is true. Items are deduplicated by the caller on
``InboundPost.platform_id``: after a crash the same page may be returned again,
but nothing is ever skipped.

*Rate limits*: a :class:`RateLimited` error carries ``retry_after`` (seconds)
and, for polls, ``cursor``: the cursor to store (same position, with the
back-off attempt counter incremented under the key ``"backoff_attempt"``).
The caller stores it without items and waits ``retry_after`` before the next
call; the next successful poll returns a cursor without the counter, which
resets the back-off. For sends there is no cursor: the caller keeps its own
attempt counter and passes it in ``ChannelSettings.backoff_attempt``. The
connector never sleeps.

*Sends* that raise :class:`SendTimeout` may have reached the platform: call
``find_sent`` before retrying, so a reply is never posted twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

# Exponential back-off used when a platform gives no reset time: 15 s, 30 s,
# 60 s ... capped at 15 minutes (the length of an X rate-limit window).
BACKOFF_BASE_SECONDS = 15.0
BACKOFF_CAP_SECONDS = 900.0
BACKOFF_CURSOR_KEY = "backoff_attempt"


def backoff_seconds(attempt: int) -> float:
    """Return the delay before retry number ``attempt`` (0 for the first failure)."""
    attempt = max(0, int(attempt))
    # Cap the exponent too, so a corrupted huge counter cannot overflow.
    return min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * float(2 ** min(attempt, 20)))


def backoff_attempt(cursor: dict[str, Any] | None) -> int:
    """The rate-limit attempt counter a stored cursor carries (0 when none)."""
    return int((cursor or {}).get(BACKOFF_CURSOR_KEY) or 0)


def backoff_cursor(cursor: dict[str, Any] | None, attempt: int) -> dict[str, Any] | None:
    """The cursor to store after a rate limit: same position, attempt counter incremented."""
    if cursor is None:
        return None
    return {**cursor, BACKOFF_CURSOR_KEY: attempt + 1}


def network_failure(exc: Exception, *, send: bool, platform: str) -> ConnectorError:
    """A timeout or lost connection: outcome unknown for a send, a platform error for a read."""
    if send:
        # The request may have been stored before the answer was lost.
        return SendTimeout(f"no answer from {platform}: {exc}")
    return PlatformError(None, "network", str(exc))


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime (patchable in tests)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Author:
    """The author of an inbound message, as the platform describes them."""

    platform_id: str
    handle: str
    name: str
    followers: int | None


@dataclass(frozen=True)
class Attachment:
    """A photo, video, sticker, link or file a post carries (its type and where to see it)."""

    type: str  # "photo" | "video" | "animated_gif" | "sticker" | "share" | "file" ...
    url: str | None  # the media itself, or the page it lives on
    preview_url: str | None = None  # a thumbnail image, when the platform gives one

    def to_dict(self) -> dict[str, str | None]:
        """The JSON form stored with the message."""
        return {"type": self.type, "url": self.url, "preview_url": self.preview_url}


# The author given to a Facebook comment whose ``from`` the Graph API withholds (people who
# have not authorised the app): one per comment thread, so that replies still find it.
HIDDEN_AUTHOR_NAME = "Facebook user (name hidden by Facebook)"
HIDDEN_AUTHOR_PREFIX = "hidden:"


@dataclass
class InboundPost:
    """One mention, comment or private message received from a platform."""

    platform_id: str
    kind: str  # "mention" | "comment" | "dm"
    conversation_id: str | None  # X conversation_id / FB post id (the thread root)
    parent_id: str | None  # replied-to tweet / parent comment
    author: Author
    text: str
    created_at: datetime  # aware UTC
    url: str | None
    private: bool
    raw: dict[str, Any] = field(repr=False)
    attachments: list[Attachment] = field(default_factory=list)
    hidden: bool = False  # Graph ``is_hidden``: hidden by the Page, visible to its author only
    deleted: bool = False  # the platform says it was removed (a webhook ``remove`` verb)
    edited: bool = False  # the platform says its text changed (a webhook ``edited`` verb)
    # Only a change of something already stored (hide/unhide/remove): never a new message.
    update_only: bool = False
    # X edits: the ids of every version of this post, oldest first (``edit_history_tweet_ids``);
    # the first is the message the edit updates.
    edit_history: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SkippedItem:
    """An item the platform returned but that could not be parsed."""

    platform_id: str | None
    reason: str


@dataclass(frozen=True)
class RateInfo:
    """What a platform's answer said of the caller's remaining rate budget.

    X gives counts per endpoint and window (``x-rate-limit-remaining``, ``-limit``,
    ``-reset``); Graph gives percentages of an app's or a business's hourly allowance
    (``x-app-usage``, ``x-business-use-case-usage``: ``call_count``, ``total_time``,
    ``total_cputime``) and, once throttled, ``estimated_time_to_regain_access`` (minutes).
    """

    remaining: int | None = None
    limit: int | None = None
    reset_at: datetime | None = None
    usage_percent: float | None = None  # the highest of the Graph percentages
    regain_at: datetime | None = None


def x_rate_info(headers: Any) -> RateInfo | None:
    """The ``x-rate-limit-*`` headers of an X answer (None when absent or unreadable)."""
    lowered = {str(k).lower(): str(v) for k, v in dict(headers or {}).items()}
    try:
        remaining = int(lowered["x-rate-limit-remaining"])
        limit = int(lowered["x-rate-limit-limit"])
        reset = int(lowered["x-rate-limit-reset"])
    except (KeyError, ValueError):
        return None
    if remaining < 0 or limit <= 0 or reset <= 0:
        return None
    try:
        reset_at = datetime.fromtimestamp(reset, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return RateInfo(remaining=remaining, limit=limit, reset_at=reset_at)


def graph_rate_info(headers: Any, now: datetime | None = None) -> RateInfo | None:
    """The Graph usage headers of an answer: the highest usage percentage and the longest
    time to regain access among ``x-app-usage`` and ``x-business-use-case-usage`` (None when
    neither is present or readable)."""
    import json

    lowered = {str(k).lower(): str(v) for k, v in dict(headers or {}).items()}
    percents: list[float] = []
    regain_minutes: list[float] = []
    for name in ("x-app-usage", "x-business-use-case-usage"):
        raw = lowered.get(name)
        if not raw:
            continue
        try:
            parsed = json.loads(raw)
        except ValueError:
            continue
        entries: list[Any] = []
        if isinstance(parsed, dict) and "call_count" not in parsed:
            # Business use case: {"<business or page id>": [{...}, ...]}.
            for value in parsed.values():
                entries.extend(value if isinstance(value, list) else [value])
        else:
            entries.append(parsed)
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            for key in ("call_count", "total_time", "total_cputime"):
                value = entry.get(key)
                if isinstance(value, int | float) and not isinstance(value, bool) \
                        and 0 <= value <= 10_000:
                    percents.append(float(value))
            wait = entry.get("estimated_time_to_regain_access")
            if isinstance(wait, int | float) and not isinstance(wait, bool) and 0 < wait < 10_000:
                regain_minutes.append(float(wait))
    if not percents and not regain_minutes:
        return None
    at = now or utcnow()
    return RateInfo(usage_percent=max(percents) if percents else None,
                    regain_at=at + timedelta(minutes=max(regain_minutes))
                    if regain_minutes else None)


@dataclass
class PollResult:
    """One page of a poll; see the module docstring for the caller's contract."""

    items: list[InboundPost]
    cursor: dict[str, Any]  # JSON-serialisable, stored with the items
    skipped: list[SkippedItem]
    more: bool  # another page is ready right now
    # The rate budget the platform's answer described (None when it said nothing).
    rate: RateInfo | None = None


@dataclass(frozen=True)
class SendResult:
    """What the platform answered to a reply or private message."""

    platform_id: str
    url: str | None
    sent_at: datetime


@dataclass
class ChannelSettings:
    """Everything a connector needs to reach one social account."""

    account_id: str
    credentials: dict[str, str]
    api_base_url: str | None = None
    graph_version: str | None = None
    timeout: float = 10.0
    handle: str | None = None
    # Number of rate-limited attempts already made for the current send; only
    # used to compute RateLimited.retry_after when the platform gives no reset.
    backoff_attempt: int = 0


class ConnectorError(Exception):
    """Base class of every error a connector raises."""


class RateLimited(ConnectorError):
    """The platform refused the call until ``reset_at`` / for ``retry_after`` seconds."""

    def __init__(
        self,
        reset_at: datetime | None,
        retry_after: float,
        *,
        attempt: int = 0,
        cursor: dict[str, Any] | None = None,
        message: str = "rate limited",
    ) -> None:
        super().__init__(f"{message}; retry after {retry_after:.0f}s")
        self.reset_at = reset_at
        self.retry_after = retry_after
        self.attempt = attempt
        self.cursor = cursor


class AuthExpired(ConnectorError):
    """The token was refused (401 / Graph code 190): the channel needs reconnection."""


class PermissionDenied(ConnectorError):
    """The account may not perform this call (403 / Graph codes 10, 200-299)."""


class PlatformError(ConnectorError):
    """Any other platform failure (5xx, unexpected 4xx, network error on a read)."""

    def __init__(self, status: int | None, code: str | int | None, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class PayloadError(ConnectorError):
    """The platform answered something that cannot be understood at all."""


class SendTimeout(ConnectorError):
    """A send got no answer: it may have been stored. Reconcile with ``find_sent``."""


class PrivateReplyUnavailable(ConnectorError):
    """Facebook refuses the private reply (already one for this comment, or too old)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConnectorDisabled(ConnectorError):
    """The connector cannot be used here (its library is missing, for instance)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@runtime_checkable
class Connector(Protocol):
    """What the poller and the composer may ask of any platform connector."""

    network: str
    max_length: int
    private_reply_window: timedelta | None

    def poll_mentions(self, cursor: dict[str, Any] | None) -> PollResult:
        """Return the next page of public mentions/comments after ``cursor``."""
        ...

    def poll_private(self, cursor: dict[str, Any] | None) -> PollResult:
        """Return the next page of private messages after ``cursor``."""
        ...

    def reply_public(self, in_reply_to: str, text: str) -> SendResult:
        """Post ``text`` in public as an answer to ``in_reply_to``."""
        ...

    def send_private(
        self, *, recipient_id: str | None, text: str, comment_id: str | None = None
    ) -> SendResult:
        """Send a private message to a person, or a private reply to a comment."""
        ...

    def find_sent(
        self,
        in_reply_to: str | None,
        text: str,
        since: datetime,
        private: bool = False,
        recipient_id: str | None = None,
    ) -> SendResult | None:
        """Read the platform back: return the send if it was stored, else None."""
        ...

    def test_connection(self) -> dict[str, Any]:
        """Call the platform with the credentials and return its description of the account."""
        ...


def parse_time(value: Any) -> datetime:
    """Parse an ISO-8601 / Graph timestamp (or a unix time) into an aware UTC datetime.

    Raises ValueError on anything else, so callers can report the item as skipped.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), UTC)
    if not isinstance(value, str) or not value:
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # Graph writes offsets without a colon (+0000), which fromisoformat accepts
    # only from Python 3.11 on; normalise anyway to be explicit.
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-2] + ":" + text[-2:]
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def normalise_text(text: str) -> str:
    """Collapse whitespace so a read-back text compares equal to the text sent."""
    return " ".join((text or "").split())


def as_object(value: object) -> dict[str, Any]:
    """``value`` when a platform sent a JSON object there, else an empty one (what every
    reading of an optional nested object needs)."""
    return value if isinstance(value, dict) else {}
