"""A local imitation of the X API v2 and Graph API subsets Care Console uses.

Standalone Flask app (no import of the main application). Base URLs for the
connectors: ``{root}/x`` for X and ``{root}/graph`` for Graph, where ``{root}``
is wherever the app is mounted (e.g. ``http://host/sandbox``).
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import secrets
import socket
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from flask.json.provider import DefaultJSONProvider
from flask.typing import ResponseReturnValue

from app.sandbox.store import (
    FAULT_KINDS,
    Brand,
    SandboxStore,
    x_dm_conversation,
)
from app.sandbox.traffic import TrafficGenerator
from connectors.base import as_object

X_MAX_LENGTH = 280
# Longer customer posts (X Premium) come cut to this, the whole text in ``note_tweet``.
X_SHORT_LENGTH = 280
_GRAPH_VERSION_RE = re.compile(r"^v\d+\.\d+$")
_X_LIMITS = {"limit": 450, "window": 900}


# -- formatting helpers -------------------------------------------------------

def x_time(ts: float) -> str:
    """Format a unix time the way X does (``2024-05-01T10:00:00.000Z``)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{int((ts % 1) * 1000):03d}Z"


def graph_time(ts: float) -> str:
    """Format a unix time the way Graph does (``2024-05-01T10:00:00+0000``)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_since(value: str | None) -> float | None:
    """Parse a Graph ``since`` (unix time or ISO date); None when absent or invalid."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{value}".encode()).decode().rstrip("=")


def _decode_cursor(token: str | None) -> int | None:
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        kind, value = raw.split(":", 1)
        return int(value) if kind == "seq" else None
    except (ValueError, UnicodeDecodeError):
        return None


def _fbtrace() -> str:
    return secrets.token_urlsafe(8)


# -- error bodies ----------------------------------------------------------------

def x_problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None,
              kind: str = "about:blank") -> Response:
    """An X API v2 problem response."""
    body: dict[str, Any] = {"title": title, "detail": detail, "type": kind, "status": status}
    if status == 400:
        body["errors"] = [{"message": detail}]
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def graph_error(status: int, message: str, code: int, *, subcode: int | None = None,
                kind: str = "OAuthException", headers: dict[str, str] | None = None) -> Response:
    """A Graph API error response."""
    error: dict[str, Any] = {"message": message, "type": kind, "code": code,
                             "fbtrace_id": _fbtrace()}
    if subcode is not None:
        error["error_subcode"] = subcode
    response = jsonify({"error": error})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def create_sandbox_app(
    storage_path: str,
    *,
    brand_x_user_id: str = "1600000000000000001",
    brand_x_handle: str = "MarketplaceCare",
    brand_fb_page_id: str = "104000000000001",
    brand_fb_page_name: str = "Marketplace",
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    stream_keepalive: float = 2.0,
) -> Flask:
    """Build the sandbox app storing its data in the SQLite file ``storage_path``; with a
    ``webhook_url`` and ``webhook_secret``, Facebook posts are also delivered as signed
    webhooks. X mentions are streamed on ``/x/2/tweets/search/stream`` with a keep-alive
    newline every ``stream_keepalive`` seconds (X: 20)."""
    app = Flask(__name__, template_folder="templates", static_folder=None)
    if isinstance(app.json, DefaultJSONProvider):  # Flask's own provider: its options
        app.json.sort_keys = False
        app.json.ensure_ascii = False
    brand = Brand(brand_x_user_id, brand_x_handle, brand_fb_page_id, brand_fb_page_name)
    store = SandboxStore(storage_path, brand)
    traffic = TrafficGenerator(store)
    if webhook_url and webhook_secret:
        from app.sandbox.webhooks import WebhookSender

        store.listeners.append(WebhookSender(webhook_url, webhook_secret, brand_fb_page_id))
    app.extensions["sandbox_store"] = store
    app.extensions["sandbox_traffic"] = traffic

    # -- auth and faults, before any platform endpoint ---------------------------

    def platform(path: str) -> str | None:
        if path.startswith("/x/"):
            return "x"
        if path.startswith("/graph/"):
            return "graph"
        return None

    def has_auth() -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() in ("bearer", "oauth") and token.strip():
            return True
        return bool(request.values.get("access_token"))

    @app.before_request
    def _platform_gate() -> Response | None:
        which = platform(request.path)
        if which is None:
            return None
        fault = store.take_fault(("429", "429_no_reset", "401", "500"), request.path,
                                 request.method)
        if not has_auth() or (fault and fault.kind == "401"):
            if which == "x":
                return x_problem(401, "Unauthorized", "Unauthorized")
            return graph_error(400, "Error validating access token: Session has expired.",
                               190, subcode=463)
        if fault is None:
            return None
        reset_in = int(fault.params.get("reset_in", 60))
        if fault.kind == "429":
            if which == "x":
                return x_problem(429, "Too Many Requests", "Too Many Requests", {
                    "x-rate-limit-limit": str(_X_LIMITS["limit"]),
                    "x-rate-limit-remaining": "0",
                    "x-rate-limit-reset": str(int(time.time()) + reset_in),
                })
            usage = {brand.fb_page_id: [{
                "type": "pages", "call_count": 100, "total_cputime": 40, "total_time": 60,
                "estimated_time_to_regain_access": max(1, -(-reset_in // 60)),
            }]}
            return graph_error(400, "(#32) Page request limit reached", 32,
                               headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
        if fault.kind == "429_no_reset":
            if which == "x":
                return x_problem(429, "Too Many Requests", "Too Many Requests")
            return graph_error(400, "(#4) Application request limit reached", 4, headers={
                "X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 35,
                                           "total_time": 52})})
        # "500"
        if which == "x":
            return x_problem(500, "Internal Server Error", "Something went wrong.")
        return graph_error(500, "An unexpected error has occurred. Please retry your request "
                                "later.", 2, kind="OAuthException")

    @app.after_request
    def _usage_headers(response: Response) -> Response:
        which = platform(request.path)
        # A 429 carries exactly the headers its fault chose (possibly none).
        if response.status_code == 429:
            return response
        if which == "x" and "x-rate-limit-limit" not in response.headers:
            response.headers["x-rate-limit-limit"] = str(_X_LIMITS["limit"])
            response.headers["x-rate-limit-remaining"] = str(_X_LIMITS["limit"] - 1)
            response.headers["x-rate-limit-reset"] = str(int(time.time()) + _X_LIMITS["window"])
        elif which == "graph" and "X-App-Usage" not in response.headers:
            response.headers["X-App-Usage"] = json.dumps(
                {"call_count": 1, "total_cputime": 1, "total_time": 1})
        return response

    def after_store() -> None:
        """Apply a timeout fault once the write is committed (outcome unknown to the client)."""
        fault = store.take_fault(("timeout_after_store", "close_after_store"), request.path,
                                 request.method)
        if fault is None:
            return
        sock = request.environ.get("werkzeug.socket")
        if fault.kind == "close_after_store" and isinstance(sock, socket.socket):
            # Drop the connection without an HTTP answer.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            return
        time.sleep(float(fault.params.get("delay", 5)))

    def page_fault() -> str | None:
        fault = store.take_fault(("duplicate", "overlap"), request.path, request.method)
        return fault.kind if fault else None

    # -- X -------------------------------------------------------------------------

    def x_user(author_id: str) -> dict[str, Any] | None:
        profile = store.author("x", author_id)
        if profile is None:
            return None
        user: dict[str, Any] = {"id": author_id, "name": profile["author_name"],
                                "username": profile["author_handle"]}
        if profile["author_followers"] is not None:
            user["public_metrics"] = {"followers_count": profile["author_followers"],
                                      "following_count": 0, "tweet_count": 0,
                                      "listed_count": 0}
        return user

    def extra(row: dict[str, Any]) -> dict[str, Any]:
        try:
            return as_object(json.loads(row.get("extra") or "{}"))
        except ValueError:
            return {}

    def media_key(row: dict[str, Any]) -> str:
        return f"3_{row['id']}"

    def x_tweet(row: dict[str, Any]) -> dict[str, Any]:
        more = extra(row)
        text = row["text"]
        tweet: dict[str, Any] = {
            "id": row["id"], "text": text, "author_id": row["author_id"],
            "created_at": x_time(row["created_at"]),
            "conversation_id": row["conversation_id"] or row["id"],
            "edit_history_tweet_ids": list(more.get("edit_history") or [row["id"]]),
        }
        if len(text) > X_SHORT_LENGTH:
            # What X does with a long post: the text cut with a link, the whole in note_tweet.
            tweet["text"] = text[:X_SHORT_LENGTH - 24] + "… https://t.co/sandbox01"
            tweet["note_tweet"] = {"text": text}
        if more.get("photo_url"):
            tweet["attachments"] = {"media_keys": [media_key(row)]}
        if row["parent_id"]:
            parent = store.get("x", row["parent_id"])
            if parent:
                tweet["in_reply_to_user_id"] = parent["author_id"]
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": row["parent_id"]}]
        return tweet

    def x_dm(row: dict[str, Any]) -> dict[str, Any]:
        return {"id": row["id"], "event_type": "MessageCreate", "text": row["text"],
                "sender_id": row["author_id"], "dm_conversation_id": row["conversation_id"],
                "created_at": x_time(row["created_at"]),
                "participant_ids": row["conversation_id"].split("-")}

    def x_list(rows: list[dict[str, Any]], render: Any, author_key: str = "author_id",
               default_size: int = 10) -> Response:
        """Page newest-first ``rows`` the way X v2 does; apply list faults."""
        try:
            size = int(request.args.get("max_results", default_size))
        except ValueError:
            return x_problem(400, "Invalid Request", "max_results must be a number")
        size = max(1, min(size, 100))
        token = request.args.get("pagination_token")
        since_id = request.args.get("since_id")
        until_id = request.args.get("until_id")
        start_time = parse_since(request.args.get("start_time"))
        if token:
            floor = _decode_cursor(token)
            if floor is None:
                return x_problem(400, "Invalid Request",
                                 "The `pagination_token` query parameter value is not valid")
            rows = [r for r in rows if r["seq"] < floor]
        delivered_before = [r for r in rows if since_id and int(r["id"]) <= int(since_id)]
        if since_id:
            rows = [r for r in rows if int(r["id"]) > int(since_id)]
        if until_id:
            rows = [r for r in rows if int(r["id"]) < int(until_id)]
        if start_time is not None:
            rows = [r for r in rows if r["created_at"] >= start_time]
        page, rest = rows[:size], rows[size:]
        fault = page_fault()
        next_token = _encode_cursor(page[-1]["seq"]) if rest else None
        data = [render(r) for r in page]
        if fault == "overlap" and rest and len(page) >= 3:
            # The next page starts two items back: they will be delivered twice.
            next_token = _encode_cursor(page[-3]["seq"])
        if fault == "duplicate" and page:
            data.append(render(page[0]))
            if delivered_before:
                data.append(render(delivered_before[0]))
        meta: dict[str, Any] = {"result_count": len(data)}
        if page:
            meta["newest_id"] = page[0]["id"]
            meta["oldest_id"] = page[-1]["id"]
        if next_token:
            meta["next_token"] = next_token
        body: dict[str, Any] = {"meta": meta}
        if data:
            body["data"] = data
        expansions = request.args.get("expansions", "").split(",")
        if data and (author_key in expansions):
            users = []
            for author_id in dict.fromkeys(d.get(author_key) for d in data):
                user = x_user(str(author_id)) if author_id else None
                if user:
                    users.append(user)
            if users:
                body["includes"] = {"users": users}
        if data and "attachments.media_keys" in expansions:
            media = [{"media_key": media_key(r), "type": "photo",
                      "url": extra(r)["photo_url"]} for r in page if extra(r).get("photo_url")]
            if media:
                body.setdefault("includes", {})["media"] = media
        return jsonify(body)

    @app.get("/x/2/users/me")
    def x_me() -> Response:
        return jsonify({"data": {"id": brand.x_user_id, "name": brand.fb_page_name,
                                 "username": brand.x_handle,
                                 "public_metrics": {"followers_count": 48210,
                                                    "following_count": 12,
                                                    "tweet_count": 0, "listed_count": 0}}})

    @app.get("/x/2/users/<user_id>/mentions")
    def x_mentions(user_id: str) -> Response:
        rows = store.query("SELECT * FROM posts WHERE network='x' AND kind='tweet' AND "
                           "recipient=? AND author_id<>? ORDER BY seq DESC",
                           (user_id, user_id))
        return x_list(rows, x_tweet)

    # -- X filtered stream: rules, and /2/tweets/search/stream (newline-delimited JSON) --

    stream_rules: dict[str, dict[str, str]] = {}
    stream_wake = threading.Condition()

    def wake_streams(_row: dict[str, Any]) -> None:
        with stream_wake:
            stream_wake.notify_all()

    store.listeners.append(wake_streams)

    @app.get("/x/2/tweets/search/stream/rules")
    def x_stream_rules() -> Response:
        data = list(stream_rules.values())
        body: dict[str, Any] = {"meta": {"sent": x_time(time.time()),
                                         "result_count": len(data)}}
        if data:
            body["data"] = data
        return jsonify(body)

    @app.post("/x/2/tweets/search/stream/rules")
    def x_stream_rules_change() -> Response:
        values = request.get_json(silent=True)
        if not isinstance(values, dict):
            return x_problem(400, "Invalid Request", "a JSON object is expected")
        created: list[dict[str, str]] = []
        deleted = 0
        for rule in as_object(values.get("delete")).get("ids") or []:
            deleted += stream_rules.pop(str(rule), None) is not None
        for rule in values.get("add") or []:
            value = as_object(rule).get("value")
            if not isinstance(value, str) or not value.strip() or len(value) > 1024:
                return x_problem(400, "Invalid Request", "each rule needs a value")
            rule_id = str(secrets.randbits(60))
            entry = {"id": rule_id, "value": value}
            if as_object(rule).get("tag"):
                entry["tag"] = str(as_object(rule)["tag"])
            stream_rules[rule_id] = entry
            created.append(entry)
        summary: dict[str, Any] = {"created": len(created), "not_created": 0,
                                   "valid": len(created), "invalid": 0}
        if deleted:
            summary = {"deleted": deleted, "not_deleted": 0}
        body: dict[str, Any] = {"meta": {"sent": x_time(time.time()), "summary": summary}}
        if created:
            body["data"] = created
        response = jsonify(body)
        response.status_code = 201 if created else 200
        return response

    def rule_matches(value: str, row: dict[str, Any]) -> bool:
        """The sandbox's reading of the rule operators the console uses: ``@handle`` (a
        mention) and ``-from:handle`` (not written by it); other operators are ignored."""
        text = row["text"].lower()
        author = (row["author_handle"] or "").lower()
        for token in value.split():
            lowered = token.lower()
            if lowered.startswith("-from:"):
                if author == lowered[len("-from:"):]:
                    return False
            elif lowered.startswith("@"):
                handle = lowered[1:]
                addressed = handle == brand.x_handle.lower() and \
                    row["recipient"] == brand.x_user_id
                if f"@{handle}" not in text and not addressed:
                    return False
        return True

    def stream_message(row: dict[str, Any], rules: list[dict[str, str]]) -> bytes:
        body: dict[str, Any] = {"data": x_tweet(row)}
        user = x_user(row["author_id"])
        if user:
            body["includes"] = {"users": [user]}
        if extra(row).get("photo_url"):
            body.setdefault("includes", {})["media"] = [
                {"media_key": media_key(row), "type": "photo", "url": extra(row)["photo_url"]}]
        body["matching_rules"] = [{"id": r["id"], **({"tag": r["tag"]} if "tag" in r else {})}
                                  for r in rules]
        return json.dumps(body, ensure_ascii=False).encode() + b"\r\n"

    @app.get("/x/2/tweets/search/stream")
    def x_stream() -> Response:
        start = store.query("SELECT COALESCE(MAX(seq), 0) AS seq FROM posts")[0]["seq"]

        def generate() -> Any:
            last = int(start)
            beat = time.monotonic()
            yield b"\r\n"  # headers and a first keep-alive go out at once
            while True:
                rows = store.query("SELECT * FROM posts WHERE network='x' AND kind='tweet' "
                                   "AND seq > ? ORDER BY seq", (last,))
                for row in rows:
                    last = max(last, int(row["seq"]))
                    if row["from_brand"]:
                        continue
                    matched = [r for r in list(stream_rules.values())
                               if rule_matches(r["value"], row)]
                    if matched:
                        yield stream_message(row, matched)
                        beat = time.monotonic()
                if time.monotonic() - beat >= stream_keepalive:
                    yield b"\r\n"  # X's keep-alive: a bare newline
                    beat = time.monotonic()
                with stream_wake:
                    # Woken by a post in this process; other processes' posts within 0.25 s.
                    stream_wake.wait(0.25)

        return Response(generate(), mimetype="application/json",
                        headers={"Cache-Control": "no-store"})

    @app.get("/x/2/users/<user_id>/tweets")
    def x_user_tweets(user_id: str) -> Response:
        rows = store.query("SELECT * FROM posts WHERE network='x' AND kind='tweet' AND "
                           "author_id=? ORDER BY seq DESC", (user_id,))
        return x_list(rows, x_tweet)

    @app.get("/x/2/tweets/<tweet_id>")
    def x_get_tweet(tweet_id: str) -> Response:
        row = store.get("x", tweet_id)
        if row is None or row["kind"] != "tweet":
            return jsonify({"errors": [{
                "value": tweet_id, "detail": f"Could not find tweet with id: [{tweet_id}].",
                "title": "Not Found Error", "resource_type": "tweet", "parameter": "id",
                "resource_id": tweet_id,
                "type": "https://api.twitter.com/2/problems/resource-not-found"}]})
        body: dict[str, Any] = {"data": x_tweet(row)}
        if "author_id" in request.args.get("expansions", ""):
            user = x_user(row["author_id"])
            if user:
                body["includes"] = {"users": [user]}
        return jsonify(body)

    @app.get("/x/2/tweets")
    def x_get_tweets() -> Response:
        ids = [i for i in request.args.get("ids", "").split(",") if i]
        if not ids:
            return x_problem(400, "Invalid Request", "The `ids` query parameter is required")
        found = [store.get("x", i) for i in ids]
        return jsonify({"data": [x_tweet(r) for r in found if r and r["kind"] == "tweet"]})

    @app.post("/x/2/tweets")
    def x_create_tweet() -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("text"), str) \
                or not body["text"].strip():
            return x_problem(400, "Invalid Request", "One or more parameters to your request "
                             "was invalid.")
        text = body["text"]
        if len(text) > X_MAX_LENGTH:
            return x_problem(400, "Invalid Request", f"Tweet text is longer than "
                                                     f"{X_MAX_LENGTH} characters.")
        reply = as_object(body.get("reply"))
        in_reply_to = reply.get("in_reply_to_tweet_id")
        try:
            row = store.brand_tweet(text, str(in_reply_to) if in_reply_to else None)
        except LookupError:
            return x_problem(403, "Forbidden", "You attempted to reply to a Tweet that is "
                             "deleted or not visible to you.")
        after_store()
        response = jsonify({"data": {"id": row["id"], "text": row["text"],
                                     "edit_history_tweet_ids": [row["id"]]}})
        response.status_code = 201
        return response

    def dm_rows(participant_id: str | None = None) -> list[dict[str, Any]]:
        rows = store.query("SELECT * FROM posts WHERE network='x' AND kind='dm' AND "
                           "(author_id=? OR recipient=?) ORDER BY seq DESC",
                           (brand.x_user_id, brand.x_user_id))
        if participant_id:
            conv = x_dm_conversation(participant_id, brand.x_user_id)
            rows = [r for r in rows if r["conversation_id"] == conv]
        types = request.args.get("event_types")
        if types and "MessageCreate" not in types.split(","):
            rows = []
        return rows

    @app.get("/x/2/dm_events")
    def x_dm_events() -> Response:
        return x_list(dm_rows(), x_dm, author_key="sender_id", default_size=100)

    @app.get("/x/2/dm_conversations/with/<participant_id>/dm_events")
    def x_dm_events_with(participant_id: str) -> Response:
        if not participant_id.isdigit():
            return x_problem(400, "Invalid Request", "participant_id must be numeric")
        return x_list(dm_rows(participant_id), x_dm, author_key="sender_id",
                      default_size=100)

    @app.post("/x/2/dm_conversations/with/<participant_id>/messages")
    def x_send_dm(participant_id: str) -> Response:
        body = request.get_json(silent=True)
        if not participant_id.isdigit() or not isinstance(body, dict) \
                or not str(body.get("text") or "").strip():
            return x_problem(400, "Invalid Request", "One or more parameters to your request "
                             "was invalid.")
        row = store.brand_dm(participant_id, str(body["text"]))
        after_store()
        response = jsonify({"data": {"dm_conversation_id": row["conversation_id"],
                                     "dm_event_id": row["id"]}})
        response.status_code = 201
        return response

    # -- Graph -----------------------------------------------------------------------

    def fb_from(row: dict[str, Any]) -> dict[str, str]:
        return {"name": row["author_name"], "id": row["author_id"]}

    def fb_comment(row: dict[str, Any]) -> dict[str, Any]:
        more = extra(row)
        comment: dict[str, Any] = {
            "id": row["id"], "message": row["text"], "created_time": graph_time(row["created_at"]),
            "from": fb_from(row), "permalink_url": f"https://www.facebook.com/{row['id']}",
            "is_hidden": bool(more.get("hidden")),
        }
        if more.get("anonymous"):
            del comment["from"]  # Graph's answer for people who did not authorise the app
        if more.get("photo_url"):
            comment["attachment"] = {
                "type": "photo", "url": f"https://www.facebook.com/photo.php?fbid={row['id']}",
                "media": {"image": {"height": 720, "width": 960, "src": more["photo_url"]}},
                "target": {"id": row["id"],
                           "url": f"https://www.facebook.com/photo.php?fbid={row['id']}"}}
        if row["parent_id"]:
            comment["parent"] = {"id": row["parent_id"]}
        return comment

    def fb_post(row: dict[str, Any]) -> dict[str, Any]:
        latest = store.query("SELECT MAX(created_at) AS t FROM posts WHERE network='facebook' "
                             "AND kind='comment' AND conversation_id=?", (row["id"],))
        updated = max(row["created_at"], latest[0]["t"] or 0)
        return {"id": row["id"], "message": row["text"],
                "created_time": graph_time(row["created_at"]),
                "updated_time": graph_time(updated), "from": fb_from(row),
                "permalink_url": f"https://www.facebook.com/{row['id']}"}

    def fb_message(row: dict[str, Any]) -> dict[str, Any]:
        to = store.author("facebook", row["recipient"]) if row["recipient"] else None
        to_name = to["author_name"] if to else ""
        message: dict[str, Any] = {
            "id": row["id"], "message": row["text"],
            "created_time": graph_time(row["created_at"]), "from": fb_from(row),
            "to": {"data": [{"name": to_name, "id": row["recipient"]}]}}
        photo = extra(row).get("photo_url")
        if photo:
            message["attachments"] = {"data": [{
                "id": f"att_{row['id']}", "mime_type": "image/jpeg", "name": "photo.jpg",
                "image_data": {"width": 960, "height": 720, "max_width": 960,
                               "max_height": 720, "url": photo, "preview_url": photo,
                               "image_type": 1, "render_as_sticker": False}}]}
        return message

    def graph_args() -> dict[str, Any]:
        values: dict[str, Any] = dict(request.values.items())
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            values.update(body)
        return values

    def graph_page(rows: list[dict[str, Any]], render: Any, *, ascending: bool,
                   limit: int = 25) -> Response:
        """Page ``rows`` (already ordered) with Graph cursors; apply list faults."""
        try:
            size = max(1, min(int(request.args.get("limit", limit)), 100))
        except ValueError:
            return graph_error(400, "(#100) limit must be an integer", 100,
                               kind="GraphMethodException")
        after = _decode_cursor(request.args.get("after"))
        before = _decode_cursor(request.args.get("before"))
        if after is not None:
            rows = [r for r in rows if (r["seq"] > after if ascending else r["seq"] < after)]
        if before is not None:
            rows = [r for r in rows if (r["seq"] < before if ascending else r["seq"] > before)]
        page, rest = rows[:size], rows[size:]
        fault = page_fault()
        data = [render(r) for r in page]
        after_row = page[-1] if page else None
        if fault == "overlap" and rest and len(page) >= 3:
            after_row = page[-3]
        if fault == "duplicate" and page:
            data.append(render(page[0]))
        body: dict[str, Any] = {"data": data}
        if page:
            assert after_row is not None
            paging: dict[str, Any] = {"cursors": {"before": _encode_cursor(page[0]["seq"]),
                                                  "after": _encode_cursor(after_row["seq"])}}
            if rest:
                args = {k: v for k, v in request.args.items() if k not in ("after", "before")}
                args["after"] = paging["cursors"]["after"]
                # request.base_url includes the mount prefix (script root).
                paging["next"] = f"{request.base_url}?{urlencode(args)}"
            body["paging"] = paging
        return jsonify(body)

    def conversations(user_id: str | None = None) -> list[dict[str, Any]]:
        rows = store.query("SELECT * FROM posts WHERE network='facebook' AND kind='message' "
                           "ORDER BY seq DESC")
        grouped: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            grouped.setdefault(row["conversation_id"], []).append(row)
        result = []
        for conv_id, messages in grouped.items():
            customer = next((m for m in messages if not m["from_brand"]), None)
            customer_id = customer["author_id"] if customer else messages[0]["recipient"]
            if user_id and customer_id != user_id:
                continue
            result.append({"id": conv_id, "messages": messages, "customer_id": customer_id,
                           "updated": max(m["created_at"] for m in messages),
                           "seq": max(m["seq"] for m in messages)})
        result.sort(key=lambda c: c["seq"], reverse=True)
        return result

    @app.route("/graph/<version>/<path:rest>", methods=["GET", "POST"])
    def graph(version: str, rest: str) -> Response:
        if not _GRAPH_VERSION_RE.match(version):
            return graph_error(400, f"Unknown path components: /{version}/{rest}", 2500)
        parts = [p for p in rest.split("/") if p]
        if len(parts) == 1 and request.method == "GET":
            return graph_object(parts[0])
        if len(parts) == 2:
            node, edge = parts
            if edge in ("posts", "feed") and request.method == "GET" \
                    and node == brand.fb_page_id:
                rows = store.query("SELECT * FROM posts WHERE network='facebook' AND "
                                   "kind='post' ORDER BY seq DESC")
                return graph_page(rows, fb_post, ascending=False)
            if edge == "comments":
                return graph_comments(node) if request.method == "GET" \
                    else graph_reply(node)
            if edge == "conversations" and request.method == "GET":
                convs = conversations(request.args.get("user_id"))
                return graph_conversations(convs)
            if edge == "messages" and request.method == "POST" and node == brand.fb_page_id:
                return graph_send_message()
            if edge == "messages" and request.method == "GET":
                rows = [r for c in conversations() if c["id"] == node for r in c["messages"]]
                return graph_page(rows, fb_message, ascending=False)
        return graph_error(400, f"Unsupported {request.method} request. Object with ID "
                                f"'{parts[0] if parts else ''}' does not exist, cannot be "
                                "loaded due to missing permissions, or does not support this "
                                "operation.", 100, subcode=33, kind="GraphMethodException")

    def graph_object(node: str) -> Response:
        if node == brand.fb_page_id:
            return jsonify({"id": brand.fb_page_id, "name": brand.fb_page_name})
        row = store.get("facebook", node)
        if row is None:
            return graph_error(400, f"Unsupported get request. Object with ID '{node}' does "
                                    "not exist.", 100, subcode=33, kind="GraphMethodException")
        render = {"post": fb_post, "comment": fb_comment, "message": fb_message}[row["kind"]]
        return jsonify(render(row))

    def graph_comments(node: str) -> Response:
        target = store.get("facebook", node)
        if target is None or target["kind"] not in ("post", "comment"):
            return graph_error(400, f"Object with ID '{node}' does not exist.", 100,
                               subcode=33, kind="GraphMethodException")
        if target["kind"] == "post" and request.args.get("filter") == "stream":
            rows = store.query("SELECT * FROM posts WHERE network='facebook' AND "
                               "kind='comment' AND conversation_id=? ORDER BY seq", (node,))
        elif target["kind"] == "post":
            rows = store.query("SELECT * FROM posts WHERE network='facebook' AND "
                               "kind='comment' AND conversation_id=? AND parent_id IS NULL "
                               "ORDER BY seq", (node,))
        else:
            rows = store.query("SELECT * FROM posts WHERE network='facebook' AND "
                               "kind='comment' AND parent_id=? ORDER BY seq", (node,))
        since = parse_since(request.args.get("since"))
        if since is not None:
            rows = [r for r in rows if r["created_at"] >= since]
        until = parse_since(request.args.get("until"))
        if until is not None:
            rows = [r for r in rows if r["created_at"] <= until]
        ascending = request.args.get("order", "chronological") != "reverse_chronological"
        if not ascending:
            rows.reverse()
        return graph_page(rows, fb_comment, ascending=ascending)

    def graph_reply(node: str) -> Response:
        message = str(graph_args().get("message") or "").strip()
        if not message:
            return graph_error(400, "(#100) The parameter message is required", 100)
        try:
            row = store.brand_comment(node, message)
        except LookupError:
            return graph_error(400, f"Object with ID '{node}' does not exist.", 100,
                               subcode=33, kind="GraphMethodException")
        after_store()
        return jsonify({"id": row["id"]})

    def graph_conversations(convs: list[dict[str, Any]]) -> Response:
        fields = request.args.get("fields", "")
        match = re.search(r"messages\.limit\((\d+)\)", fields)
        nested_limit = int(match.group(1)) if match else 25
        size = max(1, min(int(request.args.get("limit", 25) or 25), 100))
        offset = _decode_cursor(request.args.get("after")) or 0
        page = convs[offset:offset + size]

        def render(conv: dict[str, Any]) -> dict[str, Any]:
            customer = store.author("facebook", conv["customer_id"])
            messages = conv["messages"][:nested_limit]
            nested: dict[str, Any] = {"data": [fb_message(m) for m in messages]}
            if len(conv["messages"]) > nested_limit:
                after = _encode_cursor(messages[-1]["seq"])
                root = request.base_url.rsplit("/", 2)[0]
                nested["paging"] = {"cursors": {"after": after},
                                    "next": f"{root}/{conv['id']}/messages?"
                                            f"{urlencode({'after': after})}"}
            return {"id": conv["id"], "updated_time": graph_time(conv["updated"]),
                    "participants": {"data": [
                        {"name": customer["author_name"] if customer else "",
                         "id": conv["customer_id"]},
                        {"name": brand.fb_page_name, "id": brand.fb_page_id}]},
                    "messages": nested}

        body: dict[str, Any] = {"data": [render(c) for c in page]}
        if page:
            cursors = {"before": _encode_cursor(offset), "after": _encode_cursor(offset +
                                                                                 len(page))}
            body["paging"] = {"cursors": cursors}
            if offset + size < len(convs):
                args = {k: v for k, v in request.args.items() if k != "after"}
                args["after"] = cursors["after"]
                body["paging"]["next"] = f"{request.base_url}?{urlencode(args)}"
        return jsonify(body)

    def graph_send_message() -> Response:
        args = graph_args()
        try:
            recipient = args.get("recipient")
            recipient = json.loads(recipient) if isinstance(recipient, str) else recipient
            message = args.get("message")
            message = json.loads(message) if isinstance(message, str) else message
        except ValueError:
            return graph_error(400, "(#100) param recipient must be JSON", 100)
        if not isinstance(recipient, dict) or not isinstance(message, dict) \
                or not str(message.get("text") or "").strip():
            return graph_error(400, "(#100) The parameter recipient is required", 100)
        try:
            row = store.brand_message(str(message["text"]),
                                      recipient_id=recipient.get("id"),
                                      comment_id=recipient.get("comment_id"))
        except PermissionError as exc:
            code = exc.args[0]
            if code == 10900:
                return graph_error(400, "(#10900) Activity already replied to", 10900)
            return graph_error(400, "(#10) This message is sent outside of allowed window.",
                               10, subcode=2018278)
        except LookupError:
            return graph_error(400, "(#100) No matching user found", 100, subcode=2018001)
        after_store()
        return jsonify({"recipient_id": row["recipient"], "message_id": row["id"]})

    # -- control endpoints (tests, page) --------------------------------------------------

    def fault_from(values: dict[str, Any]) -> int:
        params = as_object(values.get("params"))
        for key in ("reset_in", "delay"):
            if values.get(key) not in (None, ""):
                params[key] = float(values[key])
        return store.add_fault(
            str(values.get("kind", "")), pattern=str(values.get("path") or ".*"),
            count=int(values.get("count") or 1), method=values.get("method") or None,
            params=params,
        )

    @app.route("/_faults", methods=["GET", "POST", "DELETE"])
    def faults_api() -> ResponseReturnValue:
        if request.method == "DELETE":
            store.clear_faults()
            return jsonify({"faults": []})
        if request.method == "POST":
            payload = request.get_json(silent=True)
            from_form = not isinstance(payload, dict)
            values: dict[str, Any] = payload if isinstance(payload, dict) \
                else request.form.to_dict()
            try:
                fault_from(values)
            except (ValueError, re.error) as exc:
                return Response(json.dumps({"error": str(exc)}), status=400,
                                mimetype="application/json")
            if from_form:
                return redirect(url_for("index") + "#faults")
            response = jsonify({"faults": store.faults()})
            response.status_code = 201
            return response
        return jsonify({"faults": store.faults(), "kinds": list(FAULT_KINDS)})

    @app.post("/_faults/clear")
    def faults_clear_form() -> ResponseReturnValue:
        store.clear_faults()
        return redirect(url_for("index") + "#faults")

    @app.post("/_reset")
    def reset() -> Response:
        traffic.stop()
        store.reset()
        return jsonify({"ok": True})

    @app.post("/_api/posts")
    def api_post() -> Response:
        values = request.get_json(silent=True)
        if not isinstance(values, dict):
            return Response(json.dumps({"error": "JSON object expected"}), status=400,
                            mimetype="application/json")
        try:
            row = customer_post(values)
        except (ValueError, TypeError) as exc:
            return Response(json.dumps({"error": str(exc)}), status=400,
                            mimetype="application/json")
        response = jsonify(row)
        response.status_code = 201
        return response

    def customer_post(values: dict[str, Any]) -> dict[str, Any]:
        followers = values.get("followers")
        return store.customer_post(
            network=str(values.get("network", "")), kind=str(values.get("kind", "")),
            handle=str(values.get("handle") or ""), text=str(values.get("text") or ""),
            name=values.get("name") or None,
            followers=int(followers) if followers not in (None, "") else None,
            in_reply_to=values.get("in_reply_to") or None,
            created_at=float(values["created_at"]) if values.get("created_at") else None,
            photo_url=str(values.get("photo_url") or "") or None,
            anonymous=values.get("anonymous") in (True, "1", "on", "true"),
            hidden=values.get("hidden") in (True, "1", "on", "true"),
        )

    @app.post("/_api/tweets/<tweet_id>/edit")
    def api_edit_tweet(tweet_id: str) -> Response:
        values = request.get_json(silent=True)
        try:
            if not isinstance(values, dict):
                raise ValueError("JSON object expected")
            row = store.edit_tweet(tweet_id, str(values.get("text") or ""))
        except (ValueError, TypeError) as exc:
            return Response(json.dumps({"error": str(exc)}), status=400,
                            mimetype="application/json")
        response = jsonify(row)
        response.status_code = 201
        return response

    @app.get("/_api/timeline")
    def api_timeline() -> Response:
        sql = "SELECT * FROM posts WHERE 1=1"
        params: list[Any] = []
        for key in ("network", "kind"):
            if request.args.get(key):
                sql += f" AND {key} = ?"
                params.append(request.args[key])
        sql += " ORDER BY seq DESC"
        if request.args.get("limit"):
            sql += " LIMIT ?"
            params.append(int(request.args["limit"]))
        return jsonify(store.query(sql, tuple(params)))

    @app.route("/_traffic", methods=["GET", "POST"])
    def traffic_api() -> ResponseReturnValue:
        if request.method == "POST":
            payload = request.get_json(silent=True)
            from_form = not isinstance(payload, dict)
            values: dict[str, Any] = payload if isinstance(payload, dict) \
                else request.form.to_dict()
            if values.get("action") == "stop":
                traffic.stop()
            else:
                rate = float(values.get("rate") or 1)
                count = int(values["count"]) if values.get("count") else None
                duration = float(values["duration"]) if values.get("duration") else None
                if count is None and duration is None:
                    count = 50
                traffic.start(rate=rate, count=count, duration=duration)
            if from_form:
                return redirect(url_for("index") + "#traffic")
        return jsonify({"running": traffic.running, "sent": traffic.sent,
                        "errors": traffic.errors, "last_error": traffic.last_error})

    @app.post("/_ui/post")
    def ui_post() -> ResponseReturnValue:
        values: dict[str, Any] = request.form.to_dict()
        network, _, kind = values.get("action", "x:mention").partition(":")
        values.update(network=network, kind=kind)
        if kind == "reply":
            values["in_reply_to"] = values.get("x_target")
        elif kind == "comment":
            values["in_reply_to"] = values.get("fb_target")
        try:
            customer_post(values)
        except (ValueError, TypeError) as exc:
            return redirect(url_for("index", error=str(exc)))
        return redirect(url_for("index"))

    @app.get("/")
    def index() -> str:
        rows = store.query("SELECT * FROM posts ORDER BY seq")
        for row in rows:
            row["when"] = datetime.fromtimestamp(row["created_at"], UTC).strftime(
                "%Y-%m-%d %H:%M:%S UTC")
        return render_template(
            "sandbox/index.html", brand=brand,
            x_threads=_threads([r for r in rows if r["network"] == "x"
                                and r["kind"] == "tweet"]),
            fb_threads=_threads([r for r in rows if r["network"] == "facebook"
                                 and r["kind"] in ("post", "comment")]),
            x_dms=_group([r for r in rows if r["network"] == "x" and r["kind"] == "dm"]),
            fb_dms=_group([r for r in rows if r["network"] == "facebook"
                           and r["kind"] == "message"]),
            x_targets=[r for r in reversed(rows) if r["network"] == "x"
                       and r["kind"] == "tweet"][:30],
            fb_targets=[r for r in reversed(rows) if r["network"] == "facebook"
                        and r["kind"] in ("post", "comment")][:30],
            faults=store.faults(), fault_kinds=FAULT_KINDS,
            traffic=traffic, error=request.args.get("error"),
        )

    return app


def _threads(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nest rows under what they answer; roots newest first, answers oldest first."""
    by_id = {r["id"]: dict(r, children=[]) for r in rows}
    roots = []
    for row in by_id.values():
        # Facebook top-level comments hang under their post.
        parent = row["parent_id"] or (row["conversation_id"] if row["kind"] == "comment"
                                      else None)
        if parent and parent in by_id and parent != row["id"]:
            by_id[parent]["children"].append(row)
        else:
            roots.append(row)
    return sorted(roots, key=lambda r: r["seq"], reverse=True)


def _group(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["conversation_id"], []).append(row)
    return sorted(groups.items(), key=lambda g: g[1][-1]["seq"], reverse=True)
