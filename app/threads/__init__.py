"""The thread as one aggregate: its state transitions, its due times, its browser summary.

Ingest, the outbox, the inbox, tickets and the SLA chip all go through here:

- ``state``: what happens to a thread (a customer writes, an agent's reply goes out, it is
  claimed, reopened, resolved, closed) and the version bump each change makes;
- ``due``: the due times (first response, resolution) and the one rule for which of them
  the thread is racing against now;
- ``summary``: what a browser hears of a changed thread.
"""

from app.threads.due import (
    NO_DUE,
    ApplicableDue,
    DueKind,
    applicable_due,
    apply_due_times,
    current_due,
)
from app.threads.state import (
    NewThread,
    ThreadState,
    assign,
    bump_version,
    close,
    receive_inbound,
    record_reply_sent,
    reopen,
    resolve,
    set_status,
    take,
)
from app.threads.summary import publish_thread_updated, thread_summary

__all__ = [
    "NO_DUE",
    "ApplicableDue",
    "DueKind",
    "NewThread",
    "ThreadState",
    "applicable_due",
    "apply_due_times",
    "assign",
    "bump_version",
    "close",
    "current_due",
    "publish_thread_updated",
    "receive_inbound",
    "record_reply_sent",
    "reopen",
    "resolve",
    "set_status",
    "take",
    "thread_summary",
]
