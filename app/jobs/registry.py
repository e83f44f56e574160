"""The declared jobs, with stable ids, and the scheduler that runs them.

Static jobs are listed in ``JOBS``. Each channel gets its own poll job, ``poll:<id>``, at its
own interval (``max_instances=1``, ``coalesce=True``); the ``channels.sync`` job keeps those in
step with the channels table. Every job runs inside an app context.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import select

from app.extensions import db

log = logging.getLogger("care.scheduler")


@dataclass(frozen=True)
class JobSpec:
    """One declared job."""

    id: str
    func: Callable[..., Any]
    seconds: int
    kwargs: dict[str, Any] = field(default_factory=dict)
    doc: str = ""
    #: Run once right after start rather than one interval later.
    start_soon: bool = False


def _sync_channels(scheduler: Any, app: Flask) -> None:
    from app.models import Channel

    wanted = {c.id: c.poll_interval for c in db.session.scalars(
        select(Channel).where(Channel.enabled.is_(True)))}
    present = {job.id: job for job in scheduler.get_jobs() if job.id.startswith("poll:")}
    for job_id, job in present.items():
        channel_id = int(job_id.split(":", 1)[1])
        interval = wanted.get(channel_id)
        if interval is None:
            job.remove()
        elif job.trigger.interval.total_seconds() != interval:
            job.reschedule(IntervalTrigger(seconds=interval))
    for channel_id, interval in wanted.items():
        if f"poll:{channel_id}" not in present:
            scheduler.add_job(_in_context(app, _poll), IntervalTrigger(seconds=interval),
                              id=f"poll:{channel_id}",
                              kwargs={"channel_id": channel_id, "scheduler": scheduler},
                              max_instances=1, coalesce=True, replace_existing=True,
                              next_run_time=_soon())


def _poll(channel_id: int, scheduler: Any = None) -> None:
    """Poll when the channel's pace allows, then move the job's next run to the new pace
    (adaptive polling: the trigger's interval is only the fallback)."""
    from datetime import UTC, datetime, timedelta

    from app.jobs import pace
    from app.jobs.poll import poll_channel
    from app.models import Channel, utcnow

    channel = db.session.get(Channel, channel_id)
    if channel is None:
        return
    if pace.due(channel, utcnow()):
        poll_channel(channel_id)
        channel = db.session.get(Channel, channel_id)
    job = scheduler.get_job(f"poll:{channel_id}") if scheduler is not None else None
    if channel is not None and channel.poll_pace_seconds and job is not None:
        # The next run when the pace allows it (the trigger's interval is only the fallback).
        base = channel.last_poll_at or utcnow()
        when = max(base + timedelta(seconds=channel.poll_pace_seconds),
                   datetime.now(UTC) + timedelta(seconds=0.5))
        job.modify(next_run_time=when)


def _sync_streams() -> None:
    from flask import current_app

    from app.jobs.stream import StreamManager

    manager = current_app.extensions.get("care_streams")
    if isinstance(manager, StreamManager):
        manager.sync()


def _reconcile_outbox() -> None:
    from app.outbox.services import reconcile_unknown

    reconcile_unknown()


def _escalate_tickets() -> None:
    from app.tickets.services import escalate_due

    escalate_due()


def _open_due_reviews() -> None:
    from app.review.services import open_due_reviews

    open_due_reviews()


def _dashboard_rollup() -> None:
    from app.dashboard.upkeep import refresh

    refresh()


def _send_surveys() -> None:
    from app.surveys.services import send_due

    send_due()


def _process_webhooks() -> None:
    from app.webhooks.services import process_pending

    process_pending()


def _soon() -> Any:
    from datetime import datetime, timedelta

    return datetime.now().astimezone() + timedelta(seconds=1)


#: The declared list. The ids are stable: they appear in logs and in the scheduler's store.
JOBS: list[JobSpec] = [
    JobSpec("outbox.reconcile", _reconcile_outbox, 30,
            doc="settle replies whose send timed out by reading the platform back"),
    JobSpec("tickets.escalate", _escalate_tickets, 300,
            doc="escalate tickets left unresolved (7 days private, 3 days professional)"),
    JobSpec("review.monthly", _open_due_reviews, 600,
            doc="open each brand's tone committee of last month once its 1st has come"),
    JobSpec("dashboard.rollup", _dashboard_rollup, 60,
            doc="rewrite the dashboard rollups of what changed since the last run"),
    JobSpec("surveys.send", _send_surveys, 60,
            doc="send the satisfaction survey of newly resolved threads (brands that enable it)"),
    JobSpec("webhooks.process", _process_webhooks, 10,
            doc="store webhook deliveries the web process could not process (a crash)"),
    JobSpec("streams.sync", _sync_streams, 10,
            doc="keep one X filtered-stream connection per channel whose plan has it",
            start_soon=True),
]


def _in_context(app: Flask, func: Callable[..., Any]) -> Callable[..., Any]:
    def run(**kwargs: Any) -> Any:
        with app.app_context():
            try:
                return func(**kwargs)
            except Exception:
                log.exception("job %s failed", getattr(func, "__name__", func))
                db.session.rollback()
                return None
            finally:
                db.session.remove()

    run.__name__ = getattr(func, "__name__", "job")
    return run


def build_scheduler(app: Flask) -> BackgroundScheduler:
    """A scheduler with every declared job and the channel sync job (not started).

    Its X streams live as long as it does: they stop when it shuts down (a lost lock too).
    """
    from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN

    from app.jobs.stream import StreamManager

    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={
        "max_instances": 1, "coalesce": True, "misfire_grace_time": 30})
    streams = StreamManager(app)
    app.extensions["care_streams"] = streams

    def stop_streams(_event: Any) -> None:
        streams.stop_all()
        if app.extensions.get("care_streams") is streams:
            del app.extensions["care_streams"]

    scheduler.add_listener(stop_streams, EVENT_SCHEDULER_SHUTDOWN)
    for spec in JOBS:
        extra: dict[str, Any] = {"next_run_time": _soon()} if spec.start_soon else {}
        scheduler.add_job(_in_context(app, spec.func), IntervalTrigger(seconds=spec.seconds),
                          id=spec.id, kwargs=spec.kwargs, replace_existing=True, **extra)
    scheduler.add_job(_in_context(app, lambda: _sync_channels(scheduler, app)),
                      IntervalTrigger(seconds=15), id="channels.sync", replace_existing=True,
                      next_run_time=_soon())
    return scheduler


class SchedulerRunner:
    """Holds the lock, runs the scheduler, and stands by while another process holds it."""

    def __init__(self, app: Flask, retry_seconds: float | None = None) -> None:
        from app.jobs.locks import RENEW_SECONDS, lock_for

        self.app = app
        with app.app_context():
            self.lock = lock_for(app.config, db.engine, app.instance_path)
        self.retry_seconds = RENEW_SECONDS if retry_seconds is None else retry_seconds
        self.scheduler: BackgroundScheduler | None = None
        self._stop = threading.Event()
        #: When this process took the lock (its jobs start once the lock has settled).
        self._acquired_at: float | None = None
        self._announced = False

    def run(self) -> None:
        """Block: wait for the lock, run the jobs while it is held, until stop().

        The lock's store may fail (Redis restarting): the holder then stops its jobs at once
        and stands by, since it can no longer prove it holds the lock (a restarted Redis has
        forgotten it, and a standby may take it); everyone retries until the store answers.
        """
        store_down = False
        while not self._stop.is_set():
            try:
                self._tick()
                if store_down:
                    log.warning("scheduler lock store reachable again")
                    store_down = False
            except Exception:  # the lock's store is unreachable: never risk two pollers
                if not store_down:
                    log.exception("scheduler lock store unreachable; %s",
                                  "stopping jobs and standing by" if self.scheduler
                                  else "standing by")
                    store_down = True
                self._stop_jobs()
            self._stop.wait(self._pause())
        if self.scheduler is not None or self._acquired_at is not None:
            self._stop_jobs()
            try:
                self.lock.release()
            except Exception:  # the lease lapses by itself
                log.warning("scheduler lock not released (store unreachable)")

    def _tick(self) -> None:
        if self.scheduler is not None:
            if not self.lock.refresh():
                log.error("scheduler lock lost; stopping jobs")
                self._stop_jobs()
            return
        if self._acquired_at is None:
            if not self.lock.acquire():
                if not self._announced:
                    log.warning("another scheduler holds the lock; standing by")
                    self._announced = True
                return
            self._acquired_at = time.monotonic()
            self._announced = False
            log.info("scheduler lock acquired; starting jobs in %.1f s",
                     self.lock.settle_seconds)
        elif not self.lock.refresh():
            log.error("scheduler lock lost before starting jobs")
            self._acquired_at = None
            return
        if time.monotonic() - self._acquired_at >= self.lock.settle_seconds:
            self.scheduler = build_scheduler(self.app)
            self.scheduler.start()
            log.info("scheduler jobs started")

    def _pause(self) -> float:
        if self.scheduler is None and self._acquired_at is not None:
            left = self._acquired_at + self.lock.settle_seconds - time.monotonic()
            return max(0.0, min(self.retry_seconds, left))
        return self.retry_seconds

    def _stop_jobs(self) -> None:
        # Waits for a job in flight: a poll is never left running beside the next holder's.
        self._acquired_at = None
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None

    def start_in_thread(self) -> threading.Thread:
        """Run in a daemon thread (the single-process demo)."""
        thread = threading.Thread(target=self.run, name="care-scheduler", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Ask run() to return."""
        self._stop.set()

    @property
    def running(self) -> bool:
        """Whether this process currently runs the jobs."""
        return self.scheduler is not None


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    """Poll a condition (tests and the CLI use it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
