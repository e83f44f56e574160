"""Who is viewing a thread and who is replying to it (the soft lock).

In memory for the single-process default; in Redis when ``REDIS_URL`` is set, so that every
web process sees the same viewers and locks. A lock ends when the reply is sent, the draft
is abandoned, the browser goes away, or another agent takes over.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Protocol

log = logging.getLogger("care.realtime")

LOCK_TTL_SECONDS = 15 * 60  # a forgotten tab does not hold a thread forever
#: Redis calls of the presence store give up after this long (a page must not hang on them).
REDIS_TIMEOUT_SECONDS = 1.0


class PresenceUnavailable(RuntimeError):
    """The shared presence store cannot be reached: who holds a lock is not known."""


class PresenceStore(Protocol):
    """Viewers and soft locks per thread."""

    def add_viewer(self, thread_id: int, sid: str, user_id: int, name: str) -> None:
        """Record that a browser tab shows the thread."""
        ...

    def remove_viewer(self, thread_id: int, sid: str) -> None:
        """The tab left the thread."""
        ...

    def viewers(self, thread_id: int) -> list[dict[str, Any]]:
        """Distinct users viewing the thread."""
        ...

    def lock(self, thread_id: int, user_id: int, name: str, sid: str,
             force: bool = False) -> tuple[bool, dict[str, Any] | None]:
        """Take the reply lock; returns (taken, previous holder or current holder)."""
        ...

    def unlock(self, thread_id: int, user_id: int) -> bool:
        """Release the lock if this user holds it."""
        ...

    def holder(self, thread_id: int) -> dict[str, Any] | None:
        """Who holds the lock, if anyone."""
        ...

    def drop_sid(self, sid: str) -> list[int]:
        """A browser went away: remove it everywhere; returns the threads affected."""
        ...

    def clear(self) -> None:
        """Forget everything (tests)."""
        ...


class MemoryPresence:
    """One process: plain dicts behind a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._viewers: dict[int, dict[str, dict[str, Any]]] = {}
        self._locks: dict[int, dict[str, Any]] = {}
        self._sid_threads: dict[str, set[int]] = {}

    def add_viewer(self, thread_id: int, sid: str, user_id: int, name: str) -> None:
        with self._lock:
            self._viewers.setdefault(thread_id, {})[sid] = {"user_id": user_id, "name": name}
            self._sid_threads.setdefault(sid, set()).add(thread_id)

    def remove_viewer(self, thread_id: int, sid: str) -> None:
        with self._lock:
            self._viewers.get(thread_id, {}).pop(sid, None)
            self._sid_threads.get(sid, set()).discard(thread_id)

    def viewers(self, thread_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return _distinct(self._viewers.get(thread_id, {}).values())

    def lock(self, thread_id: int, user_id: int, name: str, sid: str,
             force: bool = False) -> tuple[bool, dict[str, Any] | None]:
        with self._lock:
            current = self._live(thread_id)
            if current and current["user_id"] != user_id and not force:
                return False, current
            self._locks[thread_id] = {"user_id": user_id, "name": name, "sid": sid,
                                      "since": time.time()}
            self._sid_threads.setdefault(sid, set()).add(thread_id)
            return True, current

    def unlock(self, thread_id: int, user_id: int) -> bool:
        with self._lock:
            current = self._live(thread_id)
            if current and current["user_id"] == user_id:
                del self._locks[thread_id]
                return True
            return False

    def holder(self, thread_id: int) -> dict[str, Any] | None:
        with self._lock:
            return self._live(thread_id)

    def drop_sid(self, sid: str) -> list[int]:
        with self._lock:
            threads = self._sid_threads.pop(sid, set())
            for thread_id in threads:
                self._viewers.get(thread_id, {}).pop(sid, None)
                held = self._locks.get(thread_id)
                if held and held["sid"] == sid:
                    del self._locks[thread_id]
            return sorted(threads)

    def clear(self) -> None:
        with self._lock:
            self._viewers.clear()
            self._locks.clear()
            self._sid_threads.clear()

    def _live(self, thread_id: int) -> dict[str, Any] | None:
        held = self._locks.get(thread_id)
        if held and time.time() - held["since"] > LOCK_TTL_SECONDS:
            del self._locks[thread_id]
            return None
        return dict(held) if held else None


class RedisPresence:
    """Several web processes: the same data in Redis hashes and keys with expiry."""

    _LOCK = ("local cur = redis.call('get', KEYS[1]) "
             "if cur and ARGV[3] == '0' then "
             "  local d = cjson.decode(cur) "
             "  if tostring(d['user_id']) ~= ARGV[2] then return cur end "
             "end "
             "redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[4]) "
             "if cur then return 'TAKEN:' .. cur end return 'OK'")

    def __init__(self, url: str, prefix: str = "care:presence") -> None:
        import redis

        self.client: Any = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        self.prefix = prefix

    def _k(self, *parts: object) -> str:
        return ":".join([self.prefix, *map(str, parts)])

    def add_viewer(self, thread_id: int, sid: str, user_id: int, name: str) -> None:
        pipe = self.client.pipeline()
        pipe.hset(self._k("viewers", thread_id), sid,
                  json.dumps({"user_id": user_id, "name": name}))
        pipe.expire(self._k("viewers", thread_id), 86400)
        pipe.sadd(self._k("sid", sid), thread_id)
        pipe.expire(self._k("sid", sid), 86400)
        pipe.execute()

    def remove_viewer(self, thread_id: int, sid: str) -> None:
        self.client.hdel(self._k("viewers", thread_id), sid)
        self.client.srem(self._k("sid", sid), thread_id)

    def viewers(self, thread_id: int) -> list[dict[str, Any]]:
        raw = self.client.hvals(self._k("viewers", thread_id))
        return _distinct(json.loads(v) for v in raw)

    def lock(self, thread_id: int, user_id: int, name: str, sid: str,
             force: bool = False) -> tuple[bool, dict[str, Any] | None]:
        value = json.dumps({"user_id": user_id, "name": name, "sid": sid, "since": time.time()})
        answer = self.client.eval(self._LOCK, 1, self._k("lock", thread_id), value,
                                  str(user_id), "1" if force else "0", LOCK_TTL_SECONDS)
        self.client.sadd(self._k("sid", sid), thread_id)
        if answer == "OK":
            return True, None
        if answer.startswith("TAKEN:"):
            return True, json.loads(answer[6:])
        return False, json.loads(answer)

    def unlock(self, thread_id: int, user_id: int) -> bool:
        key = self._k("lock", thread_id)
        current = self.client.get(key)
        if current and json.loads(current)["user_id"] == user_id:
            # Compare-and-delete would need Lua; a race here only releases a lock early.
            return bool(self.client.delete(key))
        return False

    def holder(self, thread_id: int) -> dict[str, Any] | None:
        current = self.client.get(self._k("lock", thread_id))
        return json.loads(current) if current else None

    def drop_sid(self, sid: str) -> list[int]:
        threads = [int(t) for t in self.client.smembers(self._k("sid", sid))]
        for thread_id in threads:
            self.client.hdel(self._k("viewers", thread_id), sid)
            current = self.client.get(self._k("lock", thread_id))
            if current and json.loads(current).get("sid") == sid:
                self.client.delete(self._k("lock", thread_id))
        self.client.delete(self._k("sid", sid))
        return sorted(threads)


    def clear(self) -> None:
        keys = list(self.client.scan_iter(f"{self.prefix}:*"))
        if keys:
            self.client.delete(*keys)


class GuardedPresence:
    """A shared store whose outages degrade presence instead of failing the request.

    While the store is away, nobody is shown as viewing, viewers are not recorded, and
    ``holder`` and ``lock`` raise ``PresenceUnavailable``: the reply lock is then unknown, and
    the caller decides from the database's own state (``app/outbox/services.reply``).
    """

    def __init__(self, inner: RedisPresence) -> None:
        self.inner = inner
        self._down = False

    def _failed(self, what: str) -> None:
        if not self._down:
            log.warning("presence store unreachable (%s); presence and reply locks degraded",
                        what, exc_info=True)
        self._down = True

    def _ok(self) -> None:
        if self._down:
            log.warning("presence store reachable again")
        self._down = False

    def add_viewer(self, thread_id: int, sid: str, user_id: int, name: str) -> None:
        try:
            self.inner.add_viewer(thread_id, sid, user_id, name)
        except Exception:
            self._failed("add_viewer")
        else:
            self._ok()

    def remove_viewer(self, thread_id: int, sid: str) -> None:
        try:
            self.inner.remove_viewer(thread_id, sid)
        except Exception:
            self._failed("remove_viewer")

    def viewers(self, thread_id: int) -> list[dict[str, Any]]:
        try:
            found = self.inner.viewers(thread_id)
        except Exception:
            self._failed("viewers")
            return []
        self._ok()
        return found

    def lock(self, thread_id: int, user_id: int, name: str, sid: str,
             force: bool = False) -> tuple[bool, dict[str, Any] | None]:
        try:
            answer = self.inner.lock(thread_id, user_id, name, sid, force)
        except Exception as exc:
            self._failed("lock")
            raise PresenceUnavailable("lock") from exc
        self._ok()
        return answer

    def unlock(self, thread_id: int, user_id: int) -> bool:
        try:
            return self.inner.unlock(thread_id, user_id)
        except Exception:  # the lock's own expiry ends it
            self._failed("unlock")
            return False

    def holder(self, thread_id: int) -> dict[str, Any] | None:
        try:
            found = self.inner.holder(thread_id)
        except Exception as exc:
            self._failed("holder")
            raise PresenceUnavailable("holder") from exc
        self._ok()
        return found

    def drop_sid(self, sid: str) -> list[int]:
        try:
            return self.inner.drop_sid(sid)
        except Exception:
            self._failed("drop_sid")
            return []

    def clear(self) -> None:
        self.inner.clear()

    @property
    def degraded(self) -> bool:
        """Whether the last call found the store away."""
        return self._down


def _distinct(items: Any) -> list[dict[str, Any]]:
    seen: dict[int, dict[str, Any]] = {}
    for item in items:
        seen.setdefault(item["user_id"], {"user_id": item["user_id"], "name": item["name"]})
    return sorted(seen.values(), key=lambda v: v["name"])


def make_store(redis_url: str | None) -> PresenceStore:
    """The store the settings call for (no connection is opened here)."""
    return GuardedPresence(RedisPresence(redis_url)) if redis_url else MemoryPresence()


def store() -> PresenceStore:
    """The current app's presence store."""
    from flask import current_app

    return current_app.extensions["care_presence"]
