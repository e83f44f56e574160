"""Facebook webhooks: accept, store, answer; process out of band.

``accept`` checks the delivery (size, ``X-Hub-Signature-256`` against the app secret,
JSON) and stores it as received in one short transaction, so that Meta hears 200 within
milliseconds; a replayed body (same SHA-256) is acknowledged and not stored again.
``process_pending`` turns stored deliveries into messages through the ingest pipeline,
where the platform id deduplicates them against polling. It runs right after each delivery
in a background task of the web process and, as a sweep for deliveries a crash left
behind, in the scheduler (job ``webhooks.process``).

A delivery is claimed by a conditional UPDATE (``processed_at IS NULL``) in the transaction
that stores its messages: two processes never store it twice, and a crash leaves it to be
claimed again. One that keeps failing is given up after ``MAX_ATTEMPTS`` and logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db, socketio
from app.ingest.pipeline import store_posts
from app.models import Channel, WebhookDelivery, utcnow
from connectors.facebook_webhooks import parse_delivery, signature_valid

log = logging.getLogger("care.webhooks")

MAX_ATTEMPTS = 5
BATCH = 50


class WebhookRefused(Exception):
    """The delivery is not accepted; ``status`` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Accepted:
    """A delivery stored (or recognised as a replay)."""

    delivery_id: int | None
    duplicate: bool


def verify_subscription(mode: str | None, token: str | None, challenge: str | None) -> str:
    """The subscription handshake: the challenge when the verify token matches."""
    expected = str(current_app.config.get("FACEBOOK_VERIFY_TOKEN") or "")
    if mode != "subscribe" or not expected or not token or challenge is None \
            or not hmac.compare_digest(expected.encode(), token.encode()):
        raise WebhookRefused(403, "verify token mismatch")
    return challenge


def max_bytes() -> int:
    """The largest delivery accepted (``WEBHOOK_MAX_BYTES``)."""
    return int(current_app.config.get("WEBHOOK_MAX_BYTES") or 1_000_000)


def accept(body: bytes, signature_header: str | None) -> Accepted:
    """Use case: check and store one delivery (committed); processing follows out of band."""
    if len(body) > max_bytes():
        log.warning("facebook webhook refused: body over %d bytes", max_bytes())
        raise WebhookRefused(413, "body too large")
    secret = str(current_app.config.get("FACEBOOK_APP_SECRET") or "")
    if not signature_valid(secret, body, signature_header):
        log.warning("facebook webhook refused: bad or missing X-Hub-Signature-256")
        raise WebhookRefused(403, "bad signature")
    try:
        payload = json.loads(body)
    except ValueError as exc:
        log.warning("facebook webhook refused: body is not JSON")
        raise WebhookRefused(400, "body is not JSON") from exc
    if not isinstance(payload, dict):
        raise WebhookRefused(400, "body is not a JSON object")
    digest = hashlib.sha256(body).hexdigest()
    delivery = WebhookDelivery(network="facebook", digest=digest, body=payload,
                               received_at=utcnow(), attempts=0)
    db.session.add(delivery)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        log.info("facebook webhook replayed (digest %s): ignored", digest[:12])
        return Accepted(None, True)
    app = current_app.extensions.get("care_webhooks_app")
    if isinstance(app, Flask):
        kick(app)
    return Accepted(delivery.id, False)


def kick(app: Flask) -> None:
    """Process pending deliveries now, in a background task (the answer is not delayed)."""

    def run() -> None:
        with app.app_context():
            try:
                process_pending()
            except Exception:  # the scheduler's sweep will retry
                log.exception("webhook processing failed")
            finally:
                db.session.remove()

    socketio.start_background_task(run)


def process_pending(limit: int = BATCH) -> int:
    """Use case: store the messages of up to ``limit`` pending deliveries; how many were done."""
    ids = list(db.session.scalars(
        select(WebhookDelivery.id).where(WebhookDelivery.processed_at.is_(None))
        .order_by(WebhookDelivery.id).limit(limit)))
    done = 0
    for delivery_id in ids:
        if _process_one(delivery_id):
            done += 1
    return done


def _process_one(delivery_id: int) -> bool:
    now = utcnow()
    try:
        claimed = db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.processed_at.is_(None))
            .values(processed_at=now, attempts=WebhookDelivery.attempts + 1))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            db.session.rollback()
            return False  # another process took it
        delivery = db.session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        _store(delivery.body, now)
        db.session.commit()
        return True
    except Exception as exc:
        db.session.rollback()
        log.exception("webhook delivery %s failed", delivery_id)
        _record_failure(delivery_id, exc)
        return False


def _record_failure(delivery_id: int, exc: Exception) -> None:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return
    delivery.attempts = (delivery.attempts or 0) + 1
    delivery.error = f"{type(exc).__name__}: {exc}"[:500]
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.processed_at = utcnow()  # given up, kept with its error for inspection
    db.session.commit()


def _store(body: dict[str, Any], now: datetime) -> None:
    parsed = parse_delivery(body)
    for skipped in parsed.skipped:
        log.warning("facebook webhook item skipped (%s): %s", skipped.platform_id,
                    skipped.reason)
    by_page: dict[str, list[Any]] = {}
    for item in parsed.items:
        by_page.setdefault(item.page_id, []).append(item.post)
    for page_id, posts in by_page.items():
        channels = list(db.session.scalars(select(Channel).where(
            Channel.network == "facebook", Channel.account_id == page_id,
            Channel.enabled.is_(True)).order_by(Channel.id)))
        if not channels:
            log.warning("facebook webhook for unknown page %s: %d item(s) skipped", page_id,
                        len(posts))
        for channel in channels:
            channel.webhook_seen_at = now
            store_posts(channel, posts)


def webhooks_active(channel: Channel, now: datetime | None = None) -> bool:
    """Whether webhooks delivered for ``channel`` recently (polling is then a safety net)."""
    if channel.webhook_seen_at is None:
        return False
    quiet = int(current_app.config.get("WEBHOOK_QUIET_SECONDS") or 900)
    return (now or utcnow()) - channel.webhook_seen_at < timedelta(seconds=quiet)
