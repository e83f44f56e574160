"""Declared jobs, per-channel poll jobs, and the scheduler lock on every backend."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from app.extensions import db
from app.jobs import registry
from app.jobs.locks import FileLock, PostgresAdvisoryLock, RedisLock, lock_for
from app.jobs.registry import JOBS, SchedulerRunner, build_scheduler, wait_until
from app.models import Channel
from tests.helpers import DATABASE_URL, REDIS_URL

STABLE_IDS = {"outbox.reconcile", "tickets.escalate"}


def test_declared_job_ids_are_stable_and_unique() -> None:
    ids = [spec.id for spec in JOBS]
    assert len(ids) == len(set(ids))
    assert set(ids) >= STABLE_IDS
    for spec in JOBS:
        assert spec.seconds > 0 and callable(spec.func) and spec.doc
        assert not spec.id.startswith("poll:")  # that prefix belongs to channel jobs


@pytest.fixture
def scheduler(app: Flask) -> Iterator[object]:
    sched = build_scheduler(app)  # not started: jobs are only declared
    yield sched


def _poll_jobs(sched: object) -> dict[str, float]:
    return {job.id: job.trigger.interval.total_seconds() for job in sched.get_jobs()
            if job.id.startswith("poll:")}


def test_build_scheduler_declares_every_job_and_one_poll_job_per_enabled_channel(
        app: Flask, scheduler: object, make_channel: Callable[..., Channel]) -> None:
    ids = {job.id for job in scheduler.get_jobs()}
    assert ids == {spec.id for spec in JOBS} | {"channels.sync"}
    on = make_channel("x", poll_interval=45)
    also = make_channel("facebook", poll_interval=120)
    off = make_channel("x", enabled=False)
    registry._sync_channels(scheduler, app)
    assert _poll_jobs(scheduler) == {f"poll:{on.id}": 45.0, f"poll:{also.id}": 120.0}
    assert f"poll:{off.id}" not in _poll_jobs(scheduler)
    job = scheduler.get_job(f"poll:{on.id}")
    assert job.kwargs == {"channel_id": on.id, "scheduler": scheduler}
    assert job.max_instances == 1 and job.coalesce
    # Disable one, change the other's interval: the next sync follows.
    on.enabled = False
    also.poll_interval = 30
    db.session.commit()
    registry._sync_channels(scheduler, app)
    assert _poll_jobs(scheduler) == {f"poll:{also.id}": 30.0}
    # Syncing again changes nothing.
    registry._sync_channels(scheduler, app)
    assert _poll_jobs(scheduler) == {f"poll:{also.id}": 30.0}


def test_the_sync_job_runs_in_an_app_context(app: Flask, scheduler: object,
                                             make_channel: Callable[..., Channel]) -> None:
    channel = make_channel("x")
    sync = scheduler.get_job("channels.sync")
    done: list[BaseException | None] = []

    def run() -> None:  # another thread, no app context of its own, as in the scheduler
        try:
            sync.func(**sync.kwargs)
            done.append(None)
        except BaseException as exc:
            done.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(10)
    assert done == [None]
    assert f"poll:{channel.id}" in _poll_jobs(scheduler)


# -- locks ---------------------------------------------------------------------------------

def test_file_lock_second_holder_refused(tmp_path: Path) -> None:
    path = tmp_path / "scheduler.lock"
    first, second = FileLock(path), FileLock(path)
    assert first.acquire() and first.refresh()
    assert not second.acquire()
    assert not second.refresh()
    first.release()
    assert second.acquire()
    assert not first.acquire()
    second.release()


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set")
def test_redis_lock_second_holder_refused() -> None:
    name = f"care-console:test-lock:{secrets.token_hex(4)}"
    first, second = RedisLock(REDIS_URL, ttl_seconds=5, name=name), \
        RedisLock(REDIS_URL, ttl_seconds=5, name=name)
    try:
        assert first.acquire() and first.refresh()
        assert not second.acquire()
        assert not second.refresh()  # refreshing a lock one does not hold fails
        second.release()  # releasing it does nothing
        assert not second.acquire()
        first.release()
        assert second.acquire()
        assert not first.refresh()
    finally:
        first.release()
        second.release()


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set")
def test_redis_lock_expires_when_the_holder_stops_refreshing() -> None:
    name = f"care-console:test-lock:{secrets.token_hex(4)}"
    first = RedisLock(REDIS_URL, name=name)
    first.ttl_ms = 200
    second = RedisLock(REDIS_URL, name=name)
    try:
        assert first.acquire() and not second.acquire()
        assert wait_until(second.acquire, 5)
        assert not first.refresh()
    finally:
        second.release()


@pytest.mark.postgres
@pytest.mark.skipif(not DATABASE_URL.startswith("postgres"), reason="needs PostgreSQL")
def test_postgres_advisory_lock_second_holder_refused(app: Flask) -> None:
    key = secrets.randbelow(2**31)
    first, second = PostgresAdvisoryLock(db.engine, key), PostgresAdvisoryLock(db.engine, key)
    try:
        assert first.acquire() and first.refresh()
        assert not second.acquire()
        assert not second.refresh()
        first.release()
        assert second.acquire()
        assert not first.acquire()
    finally:
        first.release()
        second.release()


def test_lock_for_follows_the_settings(app: Flask, tmp_path: Path) -> None:
    lock = lock_for(app.config, db.engine, str(tmp_path))
    if app.config.get("REDIS_URL"):
        assert isinstance(lock, RedisLock)
    elif db.engine.dialect.name == "postgresql":
        assert isinstance(lock, PostgresAdvisoryLock)
    else:
        assert isinstance(lock, FileLock) and lock.path == tmp_path / "scheduler.lock"
    assert isinstance(lock_for({"REDIS_URL": ""}, _Engine("sqlite"), str(tmp_path)), FileLock)
    assert isinstance(lock_for({}, _Engine("postgresql"), str(tmp_path)), PostgresAdvisoryLock)


class _Engine:
    def __init__(self, name: str) -> None:
        self.dialect = type("Dialect", (), {"name": name})()


def test_runner_stands_by_while_another_holds_the_lock(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "scheduler.lock"
    holder = FileLock(path)
    assert holder.acquire()
    runner = SchedulerRunner(app, retry_seconds=0.05)
    runner.lock = FileLock(path)
    thread = runner.start_in_thread()
    try:
        assert not wait_until(lambda: runner.running, 0.5)  # standing by
        holder.release()
        assert wait_until(lambda: runner.running, 5)
        assert {job.id for job in runner.scheduler.get_jobs()} >= STABLE_IDS
        assert not holder.acquire()  # now the runner holds it
    finally:
        runner.stop()
        thread.join(10)
    assert not thread.is_alive() and not runner.running
    assert holder.acquire()  # released on stop
    holder.release()
