"""Whether events can flow between web processes right now (the Socket.IO queue's Redis).

With several web processes, an event published by one reaches browsers connected to another
only through Redis. While Redis is away those events are not delivered live (they are still
logged, and browsers fetch them by sequence number); the header says "real time degraded".
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import current_app

log = logging.getLogger("care.realtime")

#: One ping per process at most this often, whatever the number of browsers asking.
CHECK_EVERY_SECONDS = 2.0
#: A ping slower than this counts as a failure (a page's heartbeat must not hang on it).
PING_TIMEOUT_SECONDS = 0.5


class QueueHealth:
    """The last known state of the queue, refreshed by a ping when it is stale."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self._client: Any = None
        self._checked = 0.0
        self._degraded = False
        self._lock = threading.Lock()

    def degraded(self) -> bool:
        """True while cross-process events cannot flow (a single process never is)."""
        if not self.url:
            return False
        with self._lock:
            if time.monotonic() - self._checked < CHECK_EVERY_SECONDS:
                return self._degraded
            self._checked = time.monotonic()
            was = self._degraded
            self._degraded = not self._ping()
            if self._degraded != was:
                log.warning("real-time queue %s", "unreachable: real time degraded"
                            if self._degraded else "reachable again")
            return self._degraded

    def _ping(self) -> bool:
        import redis

        if self._client is None:
            self._client = redis.Redis.from_url(
                self.url or "", socket_timeout=PING_TIMEOUT_SECONDS,
                socket_connect_timeout=PING_TIMEOUT_SECONDS)
        try:
            return bool(self._client.ping())
        except redis.RedisError:
            return False


def queue_health() -> QueueHealth:
    """The current app's queue health (created on first use; no connection before)."""
    ext: dict[str, Any] = current_app.extensions
    found = ext.get("care_queue_health")
    if not isinstance(found, QueueHealth):
        found = QueueHealth(current_app.config.get("REDIS_URL") or None)
        ext["care_queue_health"] = found
    return found
