"""The scheduler under a Redis outage and a crash: never two pollers, and polling resumes."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from app.jobs import registry
from app.jobs.locks import LEASE_SECONDS, LOCK_NAME, REDIS_SETTLE_SECONDS, RENEW_SECONDS
from app.jobs.registry import SchedulerRunner, wait_until
from tests.faults.conftest import RedisServer


class Polls:
    """A stand-in poll job: records when it ran and whether two ran at once."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.running = 0
        self.overlaps = 0
        self.lock = threading.Lock()

    def poll(self) -> None:
        with self.lock:
            self.running += 1
            self.overlaps += self.running > 1
            self.times.append(time.monotonic())
        time.sleep(0.05)
        with self.lock:
            self.running -= 1

    def since(self, moment: float) -> list[float]:
        with self.lock:
            return [t for t in self.times if t >= moment]


@pytest.fixture
def polls(monkeypatch: pytest.MonkeyPatch) -> Polls:
    record = Polls()

    def build(_app: Flask) -> BackgroundScheduler:
        sched = BackgroundScheduler(timezone="UTC")
        sched.add_job(record.poll, IntervalTrigger(seconds=0.2), id="poll:test",
                      max_instances=1, coalesce=True)
        return sched

    monkeypatch.setattr(registry, "build_scheduler", build)
    return record


class Watch:
    """Samples two runners; counts any moment when both ran their jobs."""

    def __init__(self, *runners: SchedulerRunner) -> None:
        self.runners = runners
        self.both = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.both += sum(r.running for r in self.runners) > 1
            time.sleep(0.01)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join()

    def any_running(self) -> bool:
        return any(r.running for r in self.runners)


@pytest.fixture
def pair(redis_app: Flask, polls: Polls) -> Iterator[tuple[SchedulerRunner, SchedulerRunner]]:
    first, second = SchedulerRunner(redis_app), SchedulerRunner(redis_app)
    threads = [first.start_in_thread(), second.start_in_thread()]
    yield first, second
    first.stop()
    second.stop()
    for thread in threads:
        thread.join(timeout=15)


def test_scheduler_stands_by_while_redis_is_away_and_resumes_by_itself(
        redis_server: RedisServer, polls: Polls,
        pair: tuple[SchedulerRunner, SchedulerRunner]) -> None:
    watch = Watch(*pair)
    try:
        assert wait_until(watch.any_running, 15)
        assert wait_until(lambda: len(polls.times) >= 3, 5)
        redis_server.kill()
        killed = time.monotonic()
        # The holder can no longer prove it holds the lock: it stops its jobs and stands by.
        assert wait_until(lambda: not watch.any_running(), 10)
        stood_by = time.monotonic() - killed
        time.sleep(1.0)
        quiet = time.monotonic()
        time.sleep(2 * RENEW_SECONDS)
        assert not watch.any_running() and polls.since(quiet) == []
        redis_server.start()
        back = time.monotonic()
        assert wait_until(watch.any_running, 15), "polling did not resume after Redis returned"
        assert wait_until(lambda: polls.since(back) != [], 5)
        resumed = polls.since(back)[0] - back
        print(f"\nredis killed: jobs stopped in {stood_by:.2f}s; "
              f"redis back: first poll after {resumed:.2f}s")
        assert resumed < RENEW_SECONDS + REDIS_SETTLE_SECONDS + 1
    finally:
        watch.stop()
    assert watch.both == 0 and polls.overlaps == 0


def test_standby_takes_over_promptly_after_the_holder_crashes(
        redis_app: Flask, polls: Polls) -> None:
    holder, standby = SchedulerRunner(redis_app), SchedulerRunner(redis_app)
    holder_thread = holder.start_in_thread()
    assert wait_until(lambda: holder.running, 10)
    standby_thread = standby.start_in_thread()
    watch = Watch(holder, standby)
    try:
        time.sleep(RENEW_SECONDS + 0.5)
        assert not standby.running  # waiting, not polling
        # A crash: the holder stops without releasing its lease (as if killed mid-poll).
        nothing: Any = lambda: None  # noqa: E731
        holder.lock.release = nothing  # type: ignore[method-assign]
        holder.stop()
        holder_thread.join(timeout=10)
        crashed = time.monotonic()
        assert wait_until(lambda: standby.running,
                          LEASE_SECONDS + RENEW_SECONDS + REDIS_SETTLE_SECONDS + 3)
        assert wait_until(lambda: polls.since(crashed) != [], 5)
        gap = polls.since(crashed)[0] - crashed
        print(f"\nscheduler crash: standby's first poll after {gap:.2f}s")
        # Before: a 30 s lease plus a 10 s retry (about 37 s on average).
        assert gap <= LEASE_SECONDS + RENEW_SECONDS + REDIS_SETTLE_SECONDS + 1
    finally:
        watch.stop()
        standby.stop()
        standby_thread.join(timeout=15)
    assert watch.both == 0 and polls.overlaps == 0


def _right_after_a_renewal(server: RedisServer) -> None:
    """Return just after the holder renewed its lease (its next renewal is a period away)."""
    import redis

    client = redis.Redis(port=server.port, socket_timeout=1)
    previous = client.pttl(LOCK_NAME)
    deadline = time.monotonic() + 3 * RENEW_SECONDS
    while time.monotonic() < deadline:
        current = client.pttl(LOCK_NAME)
        if current > previous:
            return
        previous = current
        time.sleep(0.005)
    raise AssertionError("the holder did not renew its lease")


def test_a_quick_redis_restart_never_gives_two_pollers(
        redis_app: Flask, redis_server: RedisServer, polls: Polls) -> None:
    """Redis restarted just after the holder's renewal forgets the lock while the holder
    still runs; the standby (half a period later) takes it at once, but starts its jobs only
    after the old holder has found the lock gone and stopped."""
    holder, standby = SchedulerRunner(redis_app), SchedulerRunner(redis_app)
    threads = [holder.start_in_thread()]
    assert wait_until(lambda: holder.running, 15)
    time.sleep(RENEW_SECONDS / 2)  # the standby's attempts fall between the holder's renewals
    threads.append(standby.start_in_thread())
    watch = Watch(holder, standby)
    try:
        for _ in range(2):
            _right_after_a_renewal(redis_server)
            redis_server.kill()
            redis_server.start()
            back = time.monotonic()
            after = back + REDIS_SETTLE_SECONDS + RENEW_SECONDS
            assert wait_until(lambda at=after: len(polls.since(at)) >= 2, 20)
            times = polls.since(back - 1)
            gap = max(b - a for a, b in itertools.pairwise(times))
            print(f"\nquick Redis restart: longest pause between polls {gap:.2f}s")
    finally:
        watch.stop()
        holder.stop()
        standby.stop()
        for thread in threads:
            thread.join(timeout=15)
    assert watch.both == 0 and polls.overlaps == 0
