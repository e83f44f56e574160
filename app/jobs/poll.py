"""Polling one channel: pages in, cursor saved with each page, platform limits respected."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.channels.crypto import CredentialsError
from app.channels.services import connector_for, settings_for
from app.extensions import db
from app.ingest import ingest_page
from app.jobs import pace
from app.models import Channel, ChannelStatus, utcnow
from app.realtime.publish import publish
from connectors.base import (
    AuthExpired,
    ConnectorDisabled,
    ConnectorError,
    PermissionDenied,
    RateLimited,
    backoff_seconds,
)

log = logging.getLogger("care.poll")

MAX_PAGES = 20  # per kind and per run: a backlog is drained over several runs, not one


@dataclass
class PollOutcome:
    """What one run did, for logs and tests."""

    state: str  # ok | waiting | rate_limited | needs_reconnection | error | disabled
    stored: int = 0
    pages: int = 0
    detail: str | None = None


def _status(channel: Channel, status: str, detail: str | None) -> None:
    changed = channel.status != status or channel.status_detail != detail
    channel.status = status
    channel.status_detail = detail[:500] if detail else None
    if changed:
        publish("channel.status", {
            "id": channel.id, "status": status, "detail": channel.status_detail,
            "rate_limited_until": channel.rate_limited_until.isoformat()
            if channel.rate_limited_until else None,
        })


def poll_channel(channel_id: int, *, clock: Callable[[], datetime] = utcnow,
                 max_pages: int = MAX_PAGES, backfill: bool = False) -> PollOutcome:
    """Poll a channel's public mentions then its private messages (the job's use case).

    ``backfill``: only the public side, now, whatever covers it (the X stream asks for it on
    every connection, to fetch what came while it was down). Each answer's rate figures are
    recorded and the channel's pace (when the next poll may come, and why) computed.
    """
    with _lock_of(channel_id):
        return _poll_channel(channel_id, clock=clock, max_pages=max_pages, backfill=backfill)


def _poll_channel(channel_id: int, *, clock: Callable[[], datetime], max_pages: int,
                  backfill: bool) -> PollOutcome:
    channel = db.session.get(Channel, channel_id)
    if channel is None or not channel.enabled:
        return PollOutcome("disabled")
    now = clock()
    if channel.rate_limited_until and channel.rate_limited_until > now:
        # Not a single request before the platform's reset time.
        return PollOutcome("waiting", detail=channel.rate_limited_until.isoformat())
    if not backfill and _webhooks_cover(channel, now):
        # The next poll is the safety net's: the job sleeps until then, not in a short loop.
        from flask import current_app

        safety = int(current_app.config.get("WEBHOOK_SAFETY_POLL_SECONDS") or 300)
        if (channel.poll_pace_seconds, channel.poll_pace_reason) != (safety, "webhooks"):
            channel.poll_pace_seconds, channel.poll_pace_reason = safety, "webhooks"
            db.session.commit()
        return PollOutcome("waiting", detail="webhooks deliver; polling is the safety net")
    kinds = [False] if backfill else [private for private in (False, True)
                                      if private or not _stream_covers(channel, now)]
    channel.last_poll_at = now
    outcome = PollOutcome("ok")
    private = False
    key: str | None = None
    try:
        connector = connector_for(channel, backoff_attempt=channel.backoff_attempts)
        key = pace.budget_key(channel, settings_for(channel).credentials)
        channel.rate_budget_key = key
        for private in kinds:
            cursor = channel.private_cursor if private else channel.poll_cursor
            for _page in range(max_pages):
                fetch = connector.poll_private if private else connector.poll_mentions
                result = fetch(cursor)
                pace.record(key, "private" if private else "public", result.rate, now)
                report = ingest_page(channel, result, private=private)
                outcome.pages += 1
                outcome.stored += report.stored
                cursor = result.cursor
                if not result.more:
                    break
            if not private:
                channel.public_polled_at = now
    except RateLimited as exc:
        db.session.rollback()
        until = exc.reset_at or (now + timedelta(seconds=exc.retry_after))
        channel.rate_limited_until = max(until, now + timedelta(seconds=1))
        channel.backoff_attempts = (channel.backoff_attempts or 0) + 1
        if exc.cursor is not None:
            if private:
                channel.private_cursor = exc.cursor
            else:
                channel.poll_cursor = exc.cursor
        _status(channel, ChannelStatus.RATE_LIMITED.value, str(exc))
        outcome = PollOutcome("rate_limited", outcome.stored, outcome.pages, str(exc))
    except AuthExpired as exc:
        db.session.rollback()
        _status(channel, ChannelStatus.NEEDS_RECONNECTION.value,
                f"The platform refused the token: {exc}")
        outcome = PollOutcome("needs_reconnection", outcome.stored, outcome.pages, str(exc))
    except (ConnectorDisabled, CredentialsError) as exc:
        db.session.rollback()
        _status(channel, ChannelStatus.ERROR.value, str(exc))
        outcome = PollOutcome("error", outcome.stored, outcome.pages, str(exc))
    except (PermissionDenied, ConnectorError) as exc:
        db.session.rollback()
        _back_off(channel, now)
        _status(channel, ChannelStatus.ERROR.value, f"{type(exc).__name__}: {exc}")
        outcome = PollOutcome("error", outcome.stored, outcome.pages, str(exc))
    except Exception as exc:  # a bug or a database failure must not kill the scheduler
        db.session.rollback()
        log.exception("poll of channel %s failed", channel_id)
        channel = db.session.get(Channel, channel_id)
        if channel is None:
            return PollOutcome("error", detail=str(exc))
        _back_off(channel, now)
        _status(channel, ChannelStatus.ERROR.value, f"internal error: {type(exc).__name__}")
        outcome = PollOutcome("error", outcome.stored, outcome.pages, str(exc))
    else:
        channel.last_success_at = now
        channel.backoff_attempts = 0
        channel.rate_limited_until = None
        _status(channel, ChannelStatus.OK.value, None)
    if channel.rate_budget_key is None and key is not None:
        channel.rate_budget_key = key  # kept through a rollback: the pace needs it
    channel.last_poll_at = now
    _set_pace(channel, now)
    db.session.commit()
    if outcome.state != "ok":
        log.warning("channel %s poll: %s (%s)", channel_id, outcome.state, outcome.detail)
    return outcome


def _set_pace(channel: Channel, now: datetime) -> None:
    try:
        chosen = pace.compute(channel, now)
    except Exception:  # the pace is advice: a failure to read it keeps the channel's interval
        log.exception("pace of channel %s not computed", channel.id)
        chosen = pace.Pace(channel.poll_interval or 60, "interval")
    channel.poll_pace_seconds = chosen.seconds
    channel.poll_pace_reason = chosen.reason


_locks_guard = threading.Lock()
_locks: dict[int, threading.Lock] = {}


def _lock_of(channel_id: int) -> threading.Lock:
    # The stream's backfill and the poll job of one channel never run side by side in a
    # process (the scheduler lock keeps other processes out).
    with _locks_guard:
        return _locks.setdefault(channel_id, threading.Lock())


def stream_active(channel: Channel, now: datetime | None = None) -> bool:
    """Whether the channel's X stream showed a sign of life within STREAM_QUIET_SECONDS."""
    from flask import current_app

    if not channel.stream_enabled or channel.stream_seen_at is None:
        return False
    quiet = int(current_app.config.get("STREAM_QUIET_SECONDS") or 60)
    return (now or utcnow()) - channel.stream_seen_at < timedelta(seconds=quiet)


def _stream_covers(channel: Channel, now: datetime) -> bool:
    """While the stream delivers, public mentions are polled only every
    WEBHOOK_SAFETY_POLL_SECONDS (direct messages are not streamed: polled as before)."""
    from flask import current_app

    if not stream_active(channel, now) or channel.public_polled_at is None:
        return False
    safety = int(current_app.config.get("WEBHOOK_SAFETY_POLL_SECONDS") or 300)
    return now - channel.public_polled_at < timedelta(seconds=safety)


def _webhooks_cover(channel: Channel, now: datetime) -> bool:
    """While webhooks deliver for the channel, poll only every WEBHOOK_SAFETY_POLL_SECONDS
    (to catch what a lost delivery missed); when they stop, the channel's own interval."""
    from flask import current_app

    from app.webhooks.services import webhooks_active

    if not webhooks_active(channel, now) or channel.last_poll_at is None:
        return False
    safety = int(current_app.config.get("WEBHOOK_SAFETY_POLL_SECONDS") or 300)
    return now - channel.last_poll_at < timedelta(seconds=safety)


def _back_off(channel: Channel, now: datetime) -> None:
    # Failing platforms are retried later and later, never in a busy loop.
    channel.rate_limited_until = now + timedelta(seconds=backoff_seconds(channel.backoff_attempts))
    channel.backoff_attempts = (channel.backoff_attempts or 0) + 1
