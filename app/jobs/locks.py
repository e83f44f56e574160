"""The scheduler lock: a second scheduler started by mistake stands by instead of polling.

Redis ``SET NX`` with expiry when ``REDIS_URL`` is set, else a PostgreSQL advisory lock, else
a file lock beside the SQLite database.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("care.scheduler")

LOCK_NAME = "care-console:scheduler"
#: Advisory lock key: any constant shared by every process of the installation.
PG_LOCK_KEY = 0x43415245  # "CARE"
#: The Redis lock's lease. A crashed holder blocks the standby for at most this long, so it is
#: short; the holder renews it every ``RENEW_SECONDS`` (five chances before it lapses).
LEASE_SECONDS = 8
#: How often the holder renews its lease and a standby tries to take the lock.
RENEW_SECONDS = 2.0
#: Redis calls of the lock give up after this long: a holder cut off from Redis learns it
#: within RENEW + TIMEOUT (3.5 s) and stops, well before its lease lapses.
REDIS_TIMEOUT_SECONDS = 1.5
#: A Redis restarted without persistence forgets the lock while its holder still runs: a new
#: holder waits this long before starting jobs, time enough for the old one to renew, find
#: the lock gone, and stop (never two pollers at once).
REDIS_SETTLE_SECONDS = RENEW_SECONDS + REDIS_TIMEOUT_SECONDS + 0.5


class SchedulerLock(Protocol):
    """Held by exactly one scheduler process at a time."""

    #: How long a new holder waits (renewing) before starting jobs.
    settle_seconds: float

    def acquire(self) -> bool:
        """Take the lock if free; True when this process holds it."""
        ...

    def refresh(self) -> bool:
        """Keep the lock alive; False when it was lost."""
        ...

    def release(self) -> None:
        """Give the lock up."""
        ...


class FileLock:
    """flock on a file: released by the kernel when the process dies."""

    settle_seconds = 0.0

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return True

    def refresh(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class RedisLock:
    """SET NX with a time to live, refreshed while held; lost if the holder stops refreshing."""

    settle_seconds = REDIS_SETTLE_SECONDS

    _REFRESH = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
                "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end")
    _RELEASE = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
                "return redis.call('del', KEYS[1]) else return 0 end")

    def __init__(self, url: str, ttl_seconds: int = LEASE_SECONDS,
                 name: str = LOCK_NAME) -> None:
        import redis

        self.client: Any = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
        self.ttl_ms = ttl_seconds * 1000
        self.name = name
        self.token = secrets.token_hex(16)

    def acquire(self) -> bool:
        return bool(self.client.set(self.name, self.token, nx=True, px=self.ttl_ms))

    def refresh(self) -> bool:
        return bool(self.client.eval(self._REFRESH, 1, self.name, self.token, self.ttl_ms))

    def release(self) -> None:
        self.client.eval(self._RELEASE, 1, self.name, self.token)


class PostgresAdvisoryLock:
    """pg_try_advisory_lock on a dedicated connection: released when the connection closes."""

    settle_seconds = 0.0

    def __init__(self, engine: Any, key: int = PG_LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self._conn: Any = None

    def acquire(self) -> bool:
        from sqlalchemy import text

        conn = self.engine.connect()
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
        conn.commit()
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def refresh(self) -> bool:
        from sqlalchemy import text

        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
        except Exception:  # the connection died: the lock is gone with it
            log.exception("scheduler lock connection lost")
            self._conn = None
            return False
        return True

    def release(self) -> None:
        from sqlalchemy import text

        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None


def lock_for(config: dict[str, Any], engine: Any, instance_path: str) -> SchedulerLock:
    """The lock the settings call for."""
    if config.get("REDIS_URL"):
        return RedisLock(config["REDIS_URL"])
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(engine)
    return FileLock(Path(instance_path) / "scheduler.lock")
