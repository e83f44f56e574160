"""The sandbox's webhooks, signed like Meta's: each Facebook comment or Messenger message a
customer posts is delivered to the console's ``/webhooks/facebook`` within milliseconds,
so that `make run` is real time (polling stays the safety net)."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import requests

from connectors.facebook_webhooks import signature

log = logging.getLogger("care.sandbox.webhooks")

RETRIES = 3


def delivery(row: dict[str, Any], page_id: str) -> dict[str, Any] | None:
    """The webhook body Meta would send for a stored sandbox post (None: not a Page event)."""
    if row.get("network") != "facebook" or row.get("from_brand"):
        return None
    extra = json.loads(row.get("extra") or "{}") if isinstance(row.get("extra"), str) \
        else dict(row.get("extra") or {})
    created = int(float(row["created_at"]))
    if row.get("kind") == "comment":
        value: dict[str, Any] = {
            "from": {"id": row["author_id"], "name": row["author_name"]},
            "post": {"id": row["conversation_id"], "status_type": "mobile_status_update",
                     "is_published": True},
            "message": row["text"], "post_id": row["conversation_id"],
            "comment_id": row["id"], "created_time": created, "item": "comment",
            "parent_id": row["parent_id"] or row["conversation_id"], "verb": "add"}
        if extra.get("anonymous"):
            del value["from"]
        if extra.get("photo_url"):
            value["photo"] = extra["photo_url"]
        return {"object": "page", "entry": [{"id": page_id, "time": created,
                                             "changes": [{"field": "feed", "value": value}]}]}
    if row.get("kind") == "message":
        message: dict[str, Any] = {"mid": row["id"], "text": row["text"]}
        if extra.get("photo_url"):
            message["attachments"] = [{"type": "image",
                                       "payload": {"url": extra["photo_url"]}}]
        stamp = int(float(row["created_at"]) * 1000)
        return {"object": "page", "entry": [{"id": page_id, "time": stamp, "messaging": [{
            "sender": {"id": row["author_id"]}, "recipient": {"id": page_id},
            "timestamp": stamp, "message": message}]}]}
    return None


class WebhookSender:
    """Posts signed deliveries to ``url`` from a background thread (never blocks a post)."""

    def __init__(self, url: str, secret: str, page_id: str) -> None:
        self.url = url
        self.secret = secret
        self.page_id = page_id

    def __call__(self, row: dict[str, Any]) -> None:
        body = delivery(row, self.page_id)
        if body is None:
            return
        raw = json.dumps(body).encode()
        threading.Thread(target=self._post, args=(raw,), daemon=True,
                         name="sandbox-webhook").start()

    def _post(self, raw: bytes) -> None:
        headers = {"Content-Type": "application/json",
                   "X-Hub-Signature-256": signature(self.secret, raw)}
        for attempt in range(RETRIES):
            try:
                response = requests.post(self.url, data=raw, headers=headers, timeout=5)
                if response.status_code < 500:
                    if response.status_code >= 400:
                        log.warning("sandbox webhook refused: %s %s", response.status_code,
                                    response.text[:200])
                    return
            except requests.RequestException as exc:
                log.info("sandbox webhook to %s failed: %s", self.url, exc)
            time.sleep(0.5 * 2 ** attempt)  # Meta retries too
