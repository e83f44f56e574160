"""Facebook Page connector over facebook-sdk's ``facebook.GraphAPI``.

Credentials: ``page_access_token`` (``access_token`` is accepted too).
``ChannelSettings.account_id`` is the Page id; ``graph_version`` (default
``v21.0``) and ``api_base_url`` (default https://graph.facebook.com, or the
sandbox's ``{root}/graph``) are settings.

Comments cursor: a scan *cycle* reads the Page's latest posts, then, one call
per page of comments, the comments of each post created since ``since``
(``filter=stream``, chronological). The cursor keeps the queue of posts still
to read, the Graph ``after`` cursor of the current post and the ids already
returned near the watermark (``seen``). ``since`` only moves when the cycle is
complete, and then to the cycle's *start* time minus an overlap, so a comment
written on an already-scanned post during the cycle is found by the next one;
``seen`` keeps the overlap from returning it twice.

Messenger cursor: the same watermark scheme over ``/{page-id}/conversations``
(sorted by ``updated_time``, newest first), reading each conversation's
messages until the watermark.

Limitation: only the ``POSTS_PER_CYCLE`` latest posts are scanned for new
comments.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import facebook
import requests

from connectors.base import (
    HIDDEN_AUTHOR_NAME,
    HIDDEN_AUTHOR_PREFIX,
    Attachment,
    AuthExpired,
    Author,
    ChannelSettings,
    InboundPost,
    PayloadError,
    PermissionDenied,
    PlatformError,
    PollResult,
    PrivateReplyUnavailable,
    RateLimited,
    SendResult,
    SkippedItem,
    as_object,
    backoff_attempt,
    backoff_cursor,
    backoff_seconds,
    graph_rate_info,
    network_failure,
    normalise_text,
    parse_time,
    utcnow,
)
from connectors.registry import register

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "v21.0"
POSTS_PER_CYCLE = 25
PAGE_SIZE = 100
# Re-read this much before the previous cycle's start: covers comments
# committed by Facebook slightly after their created_time, and clock skew.
OVERLAP_SECONDS = 120
# Nested messages read per conversation per call, and extra pages at most.
MESSAGES_PER_CONVERSATION = 25
MAX_MESSAGE_PAGES = 10
PRIVATE_REPLY_WINDOW = timedelta(days=7)

COMMENT_FIELDS = ("id,message,created_time,from{id,name},parent{id},permalink_url,is_hidden,"
                  "attachment{type,url,media,target}")
MESSAGE_FIELDS = ("id,message,created_time,from,to,"
                  "attachments{id,mime_type,name,image_data,file_url,video_data}")

RATE_LIMIT_CODES = {4, 17, 32, 613}
# Business Use Case rate limits (pages, messenger, ...).
BUC_RATE_LIMIT_CODES = set(range(80001, 80015))
AUTH_CODES = {190, 102}
PRIVATE_REPLY_CODES = {10900, 551, 2018278}
PRIVATE_REPLY_REASONS = {
    10900: "this comment already has a private reply",
    551: "this person cannot receive messages right now",
    2018278: "the comment is older than the 7-day private-reply window",
}
_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)$")


def normalise_version(version: str | None) -> str:
    """Return a Graph version as ``vNN.N`` (default v21.0); reject anything else."""
    match = _VERSION_RE.match((version or DEFAULT_GRAPH_VERSION).strip())
    if not match:
        raise ValueError(f"Graph API version must look like v21.0, not {version!r}")
    return f"v{match.group(1)}.{match.group(2)}"


class ConfigurableGraphAPI(facebook.GraphAPI):
    """``facebook.GraphAPI`` with a configurable host and Graph version.

    facebook-sdk 3.1.0 only accepts versions 2.8-3.1 (long expired, refused by
    Facebook), hard-codes https://graph.facebook.com/ in ``request`` and drops
    the response headers (needed for X-App-Usage). We skip the constructor's
    version check by not passing ``version`` and setting it afterwards, and
    redefine ``request`` with the same contract, through the library's own
    session, raising the library's ``GraphAPIError`` with the HTTP status and
    headers attached.
    """

    def __init__(
        self,
        access_token: str | None,
        *,
        base_url: str = DEFAULT_GRAPH_URL,
        version: str | None = None,
        timeout: float | None = None,
        session: requests.Session | None = None,
    ) -> None:
        super().__init__(access_token=access_token, timeout=timeout, session=session)
        #: The headers of the last successful answer (its usage headers pace the poller).
        self.last_headers: dict[str, str] = {}
        self.version = normalise_version(version)
        self.base_url = base_url.rstrip("/") + "/"

    def request(  # mirrors the library's untyped signature
        self,
        path: str,
        args: dict[str, Any] | None = None,
        post_args: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        method: str | None = None,
    ) -> Any:
        """Call ``path`` on the configured Graph host; raise GraphAPIError on error bodies."""
        args = dict(args or {})
        if post_args is not None:
            method = "POST"
            post_args = dict(post_args)
        if self.access_token:
            if post_args is not None and "access_token" not in post_args:
                post_args["access_token"] = self.access_token
            elif post_args is None and "access_token" not in args:
                args["access_token"] = self.access_token
        response = self.session.request(
            method or "GET",
            self.base_url + path.lstrip("/"),
            timeout=self.timeout,
            params=args,
            data=post_args,
            proxies=self.proxies,
            files=files,
        )
        try:
            result = response.json()
        except ValueError:
            result = {"error": {"message": f"non-JSON answer (HTTP {response.status_code})",
                                "type": "PayloadError", "code": None}}
        if isinstance(result, dict) and result.get("error"):
            error = facebook.GraphAPIError(result)
            error.http_status = response.status_code
            error.headers = dict(response.headers)
            raise error
        if response.status_code >= 400:
            error = facebook.GraphAPIError(
                {"error": {"message": f"HTTP {response.status_code}", "code": None}}
            )
            error.http_status = response.status_code
            error.headers = dict(response.headers)
            raise error
        self.last_headers = dict(response.headers)
        return result


def _usage_wait_seconds(headers: dict[str, str]) -> float | None:
    """Return the longest ``estimated_time_to_regain_access`` (in seconds) in usage headers."""
    minutes: list[float] = []
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    for name in ("x-business-use-case-usage", "x-app-usage", "x-page-usage",
                 "x-ad-account-usage"):
        raw = lowered.get(name)
        if not raw:
            continue
        try:
            parsed = json.loads(raw)
        except ValueError:
            continue
        # BUC header: {"<business id>": [{...}, ...]}; the others are one object.
        entries: list[Any] = []
        if isinstance(parsed, dict) and "call_count" not in parsed:
            for value in parsed.values():
                entries.extend(value if isinstance(value, list) else [value])
        else:
            entries.append(parsed)
        for entry in entries:
            if isinstance(entry, dict):
                value = entry.get("estimated_time_to_regain_access")
                if isinstance(value, int | float) and value > 0:
                    minutes.append(float(value))
    return max(minutes) * 60 if minutes else None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def comment_attachments(raw: Any) -> list[Attachment]:
    """A comment's ``attachment`` (one object: ``type``, ``url``, ``media.image.src``,
    ``target.url``) as attachments; nothing when absent or unreadable."""
    attachment = as_object(raw)
    if not attachment:
        return []
    image = as_object(as_object(attachment.get("media")).get("image"))
    preview = _text_or_none(image.get("src"))
    url = (_text_or_none(attachment.get("url"))
           or _text_or_none(as_object(attachment.get("target")).get("url")) or preview)
    kind = _text_or_none(attachment.get("type")) or "file"
    return [Attachment(kind[:40], url, preview)]


def message_attachments(raw: Any) -> list[Attachment]:
    """A Messenger message's ``attachments`` (``{"data": [...]}`` with ``image_data``,
    ``video_data`` or ``file_url``) as attachments."""
    data = as_object(raw).get("data")
    found: list[Attachment] = []
    for item in data if isinstance(data, list) else []:
        entry = as_object(item)
        image = as_object(entry.get("image_data"))
        video = as_object(entry.get("video_data"))
        if image:
            found.append(Attachment("photo", _text_or_none(image.get("url")),
                                    _text_or_none(image.get("preview_url"))))
        elif video:
            found.append(Attachment("video", _text_or_none(video.get("url")),
                                    _text_or_none(video.get("preview_url"))))
        elif entry:
            found.append(Attachment("file", _text_or_none(entry.get("file_url")), None))
    return found


def graph_author(raw: Any, hidden_key: str | None = None) -> Author:
    """The author Graph names, or (comments) the hidden author of the comment thread.

    Graph omits ``from`` for people who did not authorise the app, which is most customers:
    their comments are kept under one author per comment thread (``hidden_key`` is the
    top-level comment's id).
    """
    sender = as_object(raw)
    if sender.get("id"):
        return Author(platform_id=str(sender["id"]), handle="",
                      name=str(sender.get("name") or ""), followers=None)
    if hidden_key is None:
        return Author(platform_id="", handle="", name="", followers=None)
    return Author(platform_id=f"{HIDDEN_AUTHOR_PREFIX}{hidden_key}", handle="",
                  name=HIDDEN_AUTHOR_NAME, followers=None)


def _error_fields(exc: facebook.GraphAPIError) -> tuple[int | None, int | None, str]:
    error = exc.result.get("error") if isinstance(exc.result, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    subcode = error.get("error_subcode")
    return (
        code if isinstance(code, int) else None,
        subcode if isinstance(subcode, int) else None,
        str(error.get("message") or exc.message),
    )


@register("facebook")
class FacebookConnector:
    """Connector for one Facebook Page (see module docstring for cursors)."""

    network = "facebook"
    # Facebook comments accept 8000 characters.
    max_length = 8000
    private_reply_window: timedelta | None = PRIVATE_REPLY_WINDOW
    page_size = PAGE_SIZE  # comments asked per page (tests lower it to force paging)

    def __init__(self, settings: ChannelSettings) -> None:
        self.settings = settings
        creds = settings.credentials or {}
        self.page_id = str(settings.account_id)
        self.graph = ConfigurableGraphAPI(
            creds.get("page_access_token") or creds.get("access_token"),
            base_url=settings.api_base_url or DEFAULT_GRAPH_URL,
            version=settings.graph_version,
            timeout=settings.timeout,
        )

    # -- error mapping -------------------------------------------------

    def _call(
        self,
        fn: Callable[[], Any],
        *,
        send: bool = False,
        attempt: int = 0,
        cursor: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Run one Graph call and translate every failure into a ConnectorError."""
        try:
            result = fn()
        except facebook.GraphAPIError as exc:
            raise self._translate(exc, attempt, cursor) from exc
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise network_failure(exc, send=send, platform="Facebook") from exc
        if not isinstance(result, dict):
            raise PayloadError("Graph answered a JSON value that is not an object")
        return result

    def _translate(
        self, exc: facebook.GraphAPIError, attempt: int, cursor: dict[str, Any] | None
    ) -> Exception:
        code, subcode, message = _error_fields(exc)
        status = getattr(exc, "http_status", None)
        headers = getattr(exc, "headers", {}) or {}
        for value in (subcode, code):
            if value in PRIVATE_REPLY_CODES:
                return PrivateReplyUnavailable(PRIVATE_REPLY_REASONS[value])
        if code in AUTH_CODES or (code is None and status == 401):
            return AuthExpired(message)
        if code in RATE_LIMIT_CODES or code in BUC_RATE_LIMIT_CODES or status == 429:
            next_cursor = backoff_cursor(cursor, attempt)
            wait = _usage_wait_seconds(headers)
            if wait is not None:
                return RateLimited(utcnow() + timedelta(seconds=wait), wait, attempt=attempt,
                                   cursor=next_cursor, message=f"Graph rate limit ({code})")
            return RateLimited(None, backoff_seconds(attempt), attempt=attempt,
                               cursor=next_cursor, message=f"Graph rate limit ({code})")
        if code == 10 or (code is not None and 200 <= code <= 299) or status == 403:
            return PermissionDenied(message)
        return PlatformError(status, code, message)

    # -- parsing -------------------------------------------------------

    @staticmethod
    def _author(raw: Any, hidden_key: str | None = None) -> Author:
        return graph_author(raw, hidden_key)


    def _parse_comment(self, comment: Any, post_id: str) -> InboundPost | SkippedItem:
        if not isinstance(comment, dict):
            return SkippedItem(None, "comment is not an object")
        comment_id = comment.get("id")
        if not isinstance(comment_id, str) or not comment_id:
            return SkippedItem(None, "comment has no id")
        message = comment.get("message", "")
        if not isinstance(message, str):
            return SkippedItem(comment_id, "comment message is not text")
        created = comment.get("created_time")
        try:
            created_at = parse_time(created) if created is not None else utcnow()
        except ValueError as exc:
            return SkippedItem(comment_id, f"bad created_time: {exc}")
        parent = comment.get("parent")
        parent_id = parent.get("id") if isinstance(parent, dict) else None
        parent_id = str(parent_id) if parent_id and parent_id != post_id else None
        return InboundPost(
            platform_id=comment_id,
            kind="comment",
            conversation_id=post_id,
            parent_id=parent_id,
            author=self._author(comment.get("from"), hidden_key=parent_id or comment_id),
            text=message,
            created_at=created_at,
            url=comment.get("permalink_url") or f"https://www.facebook.com/{comment_id}",
            private=False,
            raw=comment,
            attachments=comment_attachments(comment.get("attachment")),
            hidden=comment.get("is_hidden") is True,
        )

    def _parse_message(self, message: Any, conversation_id: str) -> InboundPost | SkippedItem:
        if not isinstance(message, dict):
            return SkippedItem(None, "message is not an object")
        message_id = message.get("id")
        if not isinstance(message_id, str) or not message_id:
            return SkippedItem(None, "message has no id")
        text = message.get("message", "")
        if not isinstance(text, str):
            return SkippedItem(message_id, "message text is not text")
        created = message.get("created_time")
        try:
            created_at = parse_time(created) if created is not None else utcnow()
        except ValueError as exc:
            return SkippedItem(message_id, f"bad created_time: {exc}")
        return InboundPost(
            platform_id=message_id,
            kind="dm",
            conversation_id=conversation_id,
            parent_id=None,
            author=self._author(message.get("from")),
            text=text,
            created_at=created_at,
            url=None,
            private=True,
            raw=message,
            attachments=message_attachments(message.get("attachments")),
        )

    # -- polling -------------------------------------------------------

    def poll_mentions(self, cursor: dict[str, Any] | None) -> PollResult:
        """Fetch one page of comments under the Page's posts (see module docstring)."""
        cursor = dict(cursor or {})
        attempt = backoff_attempt(cursor)
        since: int | None = cursor.get("since")
        queue: list[str] = list(cursor.get("queue") or [])
        post: str | None = cursor.get("post")
        after: str | None = cursor.get("after")
        seen: dict[str, float] = dict(cursor.get("seen") or {})
        cycle_start = cursor.get("cycle_start")

        if post is None and not queue:
            cycle_start = int(utcnow().timestamp())
            posts = self._call(
                lambda: self.graph.get_connections(
                    self.page_id, "posts", fields="id,created_time,updated_time",
                    limit=POSTS_PER_CYCLE,
                ),
                attempt=attempt, cursor=cursor,
            )
            data = posts.get("data")
            queue = [str(p["id"]) for p in data if isinstance(p, dict) and p.get("id")] \
                if isinstance(data, list) else []
        if post is None and queue:
            post, after = queue.pop(0), None

        items: list[InboundPost] = []
        skipped: list[SkippedItem] = []
        next_after: str | None = None
        if post is not None:
            args: dict[str, Any] = {"filter": "stream", "order": "chronological",
                                    "fields": COMMENT_FIELDS, "limit": self.page_size}
            if since is not None:
                args["since"] = since
            if after:
                args["after"] = after
            current = post
            try:
                body = self._call(
                    lambda: self.graph.get_connections(current, "comments", **args),
                    attempt=attempt, cursor=cursor)
            except PlatformError as exc:
                if exc.code != 100:
                    raise
                # The post was deleted meanwhile: report it and move on, or the
                # cursor would stay stuck on it forever.
                skipped.append(SkippedItem(current, f"post unavailable: {exc.message}"))
                body = {"data": []}
            data = body.get("data")
            if data is not None and not isinstance(data, list):
                raise PayloadError("Graph 'data' is not a list")
            for raw in data or []:
                parsed = self._parse_comment(raw, current)
                if isinstance(parsed, SkippedItem):
                    skipped.append(parsed)
                    continue
                if parsed.platform_id in seen:
                    continue
                seen[parsed.platform_id] = parsed.created_at.timestamp()
                if parsed.author.platform_id == self.page_id:
                    continue  # the Page's own replies are not inbound
                items.append(parsed)
            paging = as_object(body.get("paging"))
            cursors = as_object(paging.get("cursors"))
            if paging.get("next") and cursors.get("after"):
                next_after = str(cursors["after"])

        if next_after:
            more, post, after = True, post, next_after
        elif queue:
            more, post, after = True, None, None
        else:
            # Cycle complete: only now may the watermark move.
            more, post, after = False, None, None
            if cycle_start is not None:
                since = int(cycle_start) - OVERLAP_SECONDS
                seen = {k: v for k, v in seen.items() if v >= since}
            cycle_start = None
        new_cursor = {"since": since, "cycle_start": cycle_start, "queue": queue,
                      "post": post, "after": after, "seen": seen}
        return PollResult(items, new_cursor, skipped, more,
                          rate=graph_rate_info(self.graph.last_headers))

    def poll_private(self, cursor: dict[str, Any] | None) -> PollResult:
        """Fetch one page of Messenger conversations' new messages (see module docstring)."""
        cursor = dict(cursor or {})
        attempt = backoff_attempt(cursor)
        since: int | None = cursor.get("since")
        after: str | None = cursor.get("after")
        seen: dict[str, float] = dict(cursor.get("seen") or {})
        cycle_start = cursor.get("cycle_start")
        if not after:
            cycle_start = int(utcnow().timestamp())
        args: dict[str, Any] = {
            "platform": "messenger",
            "fields": f"id,updated_time,messages.limit({MESSAGES_PER_CONVERSATION})"
                      f"{{{MESSAGE_FIELDS}}}",
            "limit": 25,
        }
        if after:
            args["after"] = after
        body = self._call(lambda: self.graph.get_connections(self.page_id, "conversations",
                                                             **args),
                          attempt=attempt, cursor=cursor)
        items: list[InboundPost] = []
        skipped: list[SkippedItem] = []
        reached_watermark = False
        data = body.get("data")
        if data is not None and not isinstance(data, list):
            raise PayloadError("Graph 'data' is not a list")
        for conversation in data or []:
            if not isinstance(conversation, dict) or not conversation.get("id"):
                skipped.append(SkippedItem(None, "conversation without id"))
                continue
            conv_id = str(conversation["id"])
            try:
                updated = parse_time(conversation.get("updated_time"))
                if since is not None and updated.timestamp() < since:
                    reached_watermark = True
                    break
            except ValueError:
                pass  # no usable updated_time: read its messages anyway
            for message in self._conversation_messages(conversation, since, attempt, cursor):
                parsed = self._parse_message(message, conv_id)
                if isinstance(parsed, SkippedItem):
                    skipped.append(parsed)
                    continue
                if since is not None and parsed.created_at.timestamp() < since:
                    continue
                if parsed.platform_id in seen:
                    continue
                seen[parsed.platform_id] = parsed.created_at.timestamp()
                if parsed.author.platform_id == self.page_id:
                    continue
                items.append(parsed)
        # Oldest first reads more naturally in a thread.
        items.sort(key=lambda i: i.created_at)
        paging = as_object(body.get("paging"))
        cursors = as_object(paging.get("cursors"))
        if paging.get("next") and cursors.get("after") and not reached_watermark:
            new_cursor = {"since": since, "cycle_start": cycle_start,
                          "after": str(cursors["after"]), "seen": seen}
            return PollResult(items, new_cursor, skipped, more=True,
                          rate=graph_rate_info(self.graph.last_headers))
        if cycle_start is not None:
            since = int(cycle_start) - OVERLAP_SECONDS
            seen = {k: v for k, v in seen.items() if v >= since}
        new_cursor = {"since": since, "cycle_start": None, "after": None, "seen": seen}
        return PollResult(items, new_cursor, skipped, more=False,
                          rate=graph_rate_info(self.graph.last_headers))

    def _conversation_messages(
        self, conversation: dict[str, Any], since: int | None, attempt: int,
        cursor: dict[str, Any],
    ) -> list[Any]:
        """Return the conversation's messages back to ``since``, fetching extra pages."""
        nested = conversation.get("messages")
        if not isinstance(nested, dict):
            return []
        messages = list(nested.get("data") or [])
        paging = as_object(nested.get("paging"))
        for _ in range(MAX_MESSAGE_PAGES):
            cursors = as_object(paging.get("cursors"))
            if not (paging.get("next") and cursors.get("after")) or not messages:
                break
            oldest = messages[-1]
            try:
                oldest_ts = parse_time(oldest.get("created_time")).timestamp()
            except (ValueError, AttributeError):
                break
            if since is not None and oldest_ts < since:
                break
            conv_id, token = str(conversation["id"]), cursors["after"]
            page = self._call(functools.partial(
                self.graph.get_connections, conv_id, "messages", fields=MESSAGE_FIELDS,
                limit=MESSAGES_PER_CONVERSATION, after=token),
                attempt=attempt, cursor=cursor)
            messages.extend(page.get("data") or [])
            paging = as_object(page.get("paging"))
        return messages

    # -- sending -------------------------------------------------------

    def reply_public(self, in_reply_to: str, text: str) -> SendResult:
        """Reply in public under comment (or post) ``in_reply_to``."""
        body = self._call(
            lambda: self.graph.request(f"{self.graph.version}/{in_reply_to}/comments",
                                       post_args={"message": text}),
            send=True, attempt=self.settings.backoff_attempt,
        )
        comment_id = body.get("id")
        if not comment_id:
            raise PayloadError("Graph did not return the id of the new comment")
        return SendResult(str(comment_id), f"https://www.facebook.com/{comment_id}", utcnow())

    def send_private(
        self, *, recipient_id: str | None, text: str, comment_id: str | None = None
    ) -> SendResult:
        """Send a private reply to ``comment_id`` or a Messenger message to ``recipient_id``.

        Raises PrivateReplyUnavailable when the comment already had its one
        private reply or is older than ``private_reply_window``.
        """
        if comment_id:
            self._check_private_window(comment_id)
            recipient: dict[str, str] = {"comment_id": comment_id}
        elif recipient_id:
            recipient = {"id": recipient_id}
        else:
            raise ValueError("send_private needs comment_id or recipient_id")
        post_args = {
            "recipient": json.dumps(recipient),
            "message": json.dumps({"text": text}),
            "messaging_type": "RESPONSE",
        }
        body = self._call(
            lambda: self.graph.request(f"{self.graph.version}/{self.page_id}/messages",
                                       post_args=post_args),
            send=True, attempt=self.settings.backoff_attempt,
        )
        message_id = body.get("message_id")
        if not message_id:
            raise PayloadError("Graph did not return the id of the new message")
        return SendResult(str(message_id), None, utcnow())

    def _check_private_window(self, comment_id: str) -> None:
        """Refuse early when the comment is known to be older than the 7-day window."""
        try:
            comment = self._call(lambda: self.graph.get_object(comment_id, fields="created_time"))
            created = parse_time(comment.get("created_time"))
        except (PlatformError, PayloadError, ValueError):
            return  # unknown age: let Facebook decide
        if utcnow() - created > PRIVATE_REPLY_WINDOW:
            raise PrivateReplyUnavailable(PRIVATE_REPLY_REASONS[2018278])

    def find_sent(
        self,
        in_reply_to: str | None,
        text: str,
        since: datetime,
        private: bool = False,
        recipient_id: str | None = None,
    ) -> SendResult | None:
        """Look for a comment/message by the Page with this text since ``since``."""
        wanted = normalise_text(text)
        start = since.astimezone(UTC) - timedelta(seconds=60)
        if not private:
            if not in_reply_to:
                raise ValueError("find_sent needs in_reply_to for a public reply")
            body = self._call(lambda: self.graph.get_connections(
                in_reply_to, "comments", filter="stream", order="reverse_chronological",
                fields=COMMENT_FIELDS, limit=PAGE_SIZE))
            for comment in body.get("data") or []:
                match = self._match(comment, wanted, start)
                if match:
                    return SendResult(match[0], f"https://www.facebook.com/{match[0]}", match[1])
            return None
        args: dict[str, Any] = {
            "platform": "messenger",
            "fields": f"id,updated_time,messages.limit(50){{{MESSAGE_FIELDS}}}",
            "limit": 25,
        }
        if recipient_id:
            args["user_id"] = recipient_id
        body = self._call(lambda: self.graph.get_connections(self.page_id, "conversations",
                                                             **args))
        for conversation in body.get("data") or []:
            messages = (conversation.get("messages") or {}).get("data") or [] \
                if isinstance(conversation, dict) else []
            for message in messages:
                match = self._match(message, wanted, start)
                if match:
                    return SendResult(match[0], None, match[1])
        return None

    def _match(self, item: Any, wanted: str, start: datetime) -> tuple[str, datetime] | None:
        if not isinstance(item, dict) or not item.get("id"):
            return None
        sender = as_object(item.get("from"))
        if str(sender.get("id")) != self.page_id:
            return None
        if normalise_text(item.get("message", "")) != wanted:
            return None
        try:
            created = parse_time(item.get("created_time"))
        except ValueError:
            created = utcnow()
        if created < start:
            return None
        return str(item["id"]), created

    def test_connection(self) -> dict[str, Any]:
        """Return Graph's description of the Page (id and name)."""
        return self._call(lambda: self.graph.get_object(self.page_id, fields="id,name"))
