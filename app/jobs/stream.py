"""The X filtered stream of each channel whose plan has it, in the scheduler process.

``StreamManager.sync`` (job ``streams.sync``) keeps one :class:`StreamWorker` thread per
enabled X channel with ``stream_enabled``; the manager is created with the scheduler and
stopped with it, so only the process holding the scheduler lock streams (a process that
loses the lock stops its streams with its jobs; a stream blocked in a read hands nothing
over after that and ends at its next keep-alive).

A worker connects through :class:`connectors.x_stream.XStream`, stores each post through the
same ingest as polling and webhooks (deduplicated by platform id), and between connections
waits as X documents (``StreamBackoff``) on an event that ``stop`` sets. On every connection
a ``since_id`` poll backfills what came while it was down. Bad messages are logged with the
channel and skipped.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.channels.crypto import CredentialsError
from app.channels.services import settings_for
from app.extensions import db
from app.ingest.pipeline import store_posts
from app.models import Channel, utcnow
from connectors.base import PlatformError
from connectors.x_stream import StreamBackoff, StreamEnd, StreamMessage, XStream

log = logging.getLogger("care.stream")

#: The stream's sign of life (``Channel.stream_seen_at``) is written at most this often.
ALIVE_WRITE_SECONDS = 5.0
#: A connection that ends sooner than this after it opened backs off like a network error
#: (a platform closing at once must not be reconnected in a busy loop).
SHORT_CONNECTION_SECONDS = 2.0
#: The wait after a configuration problem (no handle, no app token): an admin must act.
CONFIG_RETRY_SECONDS = 60.0
#: How long stop_all waits for the workers to end.
JOIN_SECONDS = 3.0


def _fingerprint(channel: Channel) -> tuple[Any, ...]:
    # A change of any of these restarts the stream with the new settings.
    return (channel.account_id, channel.handle, channel.api_base_url,
            channel.credentials_encrypted)


class StreamWorker(threading.Thread):
    """One channel's stream: connect, store, reconnect with back-off, until stopped."""

    def __init__(self, app: Flask, channel_id: int, fingerprint: tuple[Any, ...]) -> None:
        super().__init__(name=f"care-stream-{channel_id}", daemon=True)
        self.app = app
        self.channel_id = channel_id
        self.fingerprint = fingerprint
        self.backoff = StreamBackoff()
        self.stream: XStream | None = None
        self.stopped = threading.Event()
        self.connections = 0  # how many times it connected (tests, logs)
        self.last_end: StreamEnd | None = None
        self._alive_written = 0.0
        self._opened_at = 0.0

    def stop(self) -> None:
        """Ask the worker to end; nothing is stored after this returns."""
        self.stopped.set()
        stream = self.stream
        if stream is not None:
            stream.stop()

    def run(self) -> None:
        """The reconnection loop."""
        while not self.stopped.is_set():
            try:
                wait = self._connect_once()
            except Exception:  # never let a bug end the stream silently
                log.exception("stream of channel %s failed", self.channel_id)
                wait = self.backoff.after_http_error(None)
            if wait > 0:
                self.stopped.wait(wait)
        log.info("stream of channel %s stopped", self.channel_id)

    def _connect_once(self) -> float:
        with self.app.app_context():
            try:
                channel = db.session.get(Channel, self.channel_id)
                if channel is None or not channel.enabled or not channel.stream_enabled:
                    self.stopped.set()
                    return 0.0
                settings = settings_for(channel)
            except CredentialsError as exc:
                log.warning("stream of channel %s: credentials unreadable: %s",
                            self.channel_id, exc)
                return CONFIG_RETRY_SECONDS
            finally:
                db.session.remove()
        try:
            stream = XStream(settings, on_message=self._message, on_connect=self._connected,
                             on_alive=self._alive)
        except ValueError as exc:
            log.warning("stream of channel %s not started: %s", self.channel_id, exc)
            return CONFIG_RETRY_SECONDS
        self.stream = stream
        if self.stopped.is_set():  # stop() came before the stream existed
            return 0.0
        try:
            stream.ensure_rule()
        except PlatformError as exc:
            log.warning("stream of channel %s: rules refused: %s", self.channel_id, exc)
            return self.backoff.after_http_error(exc.status) if exc.status \
                else self.backoff.after_network_error()
        except ValueError as exc:
            log.warning("stream of channel %s not started: %s", self.channel_id, exc)
            return CONFIG_RETRY_SECONDS
        end = stream.run_once()
        self.last_end = end
        return self._wait_after(end)

    def _wait_after(self, end: StreamEnd) -> float:
        if end.kind == "stopped" or self.stopped.is_set():
            return 0.0
        lasted = time.monotonic() - self._opened_at if end.connected else 0.0
        if end.kind == "http":
            wait = self.backoff.after_http_error(end.status)
        elif end.kind == "closed" and end.connected and lasted >= SHORT_CONNECTION_SECONDS:
            wait = 0.0  # X: an established connection that drops is reconnected at once
        elif end.kind in ("closed", "network"):
            wait = self.backoff.after_network_error()
        else:
            wait = self.backoff.after_http_error(None)
        log.warning("stream of channel %s ended (%s%s%s); reconnecting in %.2f s",
                    self.channel_id, end.kind, f" {end.status}" if end.status else "",
                    f": {end.detail}" if end.detail else "", wait)
        return wait

    # -- hooks, called from the stream's thread (this one) ------------------------------

    def _connected(self) -> None:
        """Connected: the back-off resets and a since_id poll backfills the gap."""
        from app.jobs.poll import poll_channel

        self.connections += 1
        self._opened_at = time.monotonic()
        self.backoff.connected()
        log.info("stream of channel %s connected", self.channel_id)
        with self.app.app_context():
            try:
                self._mark_alive(utcnow())
                outcome = poll_channel(self.channel_id, backfill=True)
                if outcome.stored:
                    log.info("stream of channel %s: backfill stored %d", self.channel_id,
                             outcome.stored)
            except Exception:  # the backfill failing must not drop the connection
                db.session.rollback()
                log.exception("stream of channel %s: backfill failed", self.channel_id)
            finally:
                db.session.remove()

    def _alive(self) -> None:
        if time.monotonic() - self._alive_written < ALIVE_WRITE_SECONDS:
            return
        with self.app.app_context():
            try:
                self._mark_alive(utcnow())
            except Exception:
                db.session.rollback()
                log.exception("stream of channel %s: sign of life not written",
                              self.channel_id)
            finally:
                db.session.remove()

    def _mark_alive(self, now: datetime) -> None:
        channel = db.session.get(Channel, self.channel_id)
        if channel is not None:
            channel.stream_seen_at = now
            db.session.commit()
        self._alive_written = time.monotonic()

    def _message(self, message: StreamMessage) -> None:
        if self.stopped.is_set():
            return
        for skipped in message.skipped:
            log.warning("stream of channel %s: item %s skipped: %s", self.channel_id,
                        skipped.platform_id, skipped.reason)
        for error in message.errors:
            log.warning("stream of channel %s: the platform says: %s", self.channel_id, error)
        if not message.posts:
            self._alive()
            return
        with self.app.app_context():
            try:
                channel = db.session.get(Channel, self.channel_id)
                if channel is None:
                    return
                report = store_posts(channel, message.posts)
                channel.stream_seen_at = utcnow()
                db.session.commit()
                self._alive_written = time.monotonic()
                if report.duplicates:
                    log.info("stream of channel %s: %d already stored", self.channel_id,
                             report.duplicates)
            except Exception:  # a failed store is caught up by the next poll
                db.session.rollback()
                log.exception("stream of channel %s: posts %s not stored", self.channel_id,
                              [p.platform_id for p in message.posts])
            finally:
                db.session.remove()


class StreamManager:
    """The scheduler's stream workers, one per streaming channel."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.workers: dict[int, StreamWorker] = {}
        self._lock = threading.Lock()
        self._closed = False

    def sync(self) -> None:
        """Start the streams channels ask for, stop those no longer asked (in app context)."""
        wanted = {c.id: _fingerprint(c) for c in db.session.scalars(
            select(Channel).where(Channel.network == "x", Channel.enabled.is_(True),
                                  Channel.stream_enabled.is_(True)))}
        with self._lock:
            if self._closed:
                return
            for channel_id, worker in list(self.workers.items()):
                if wanted.get(channel_id) != worker.fingerprint or not worker.is_alive():
                    worker.stop()
                    del self.workers[channel_id]
            for channel_id, fingerprint in wanted.items():
                if channel_id not in self.workers:
                    worker = StreamWorker(self.app, channel_id, fingerprint)
                    self.workers[channel_id] = worker
                    worker.start()

    def stop_all(self, join_seconds: float = JOIN_SECONDS) -> None:
        """Stop every stream (the scheduler shuts down or lost its lock)."""
        with self._lock:
            self._closed = True
            workers = list(self.workers.values())
            self.workers.clear()
        for worker in workers:
            worker.stop()
        deadline = time.monotonic() + join_seconds  # one wait for all, not one each
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
            if worker.is_alive():
                # Blocked in a read: it ends at the next keep-alive and stores nothing more.
                log.warning("stream of channel %s still reading; it stores nothing more",
                            worker.channel_id)
