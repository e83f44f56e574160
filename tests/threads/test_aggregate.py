"""The thread aggregate: which due time applies, the transitions, the browser summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.models import Thread, ThreadStatus
from app.models.thread import NO_DUE
from app.threads import (
    DueKind,
    NewThread,
    applicable_due,
    assign,
    bump_version,
    close,
    current_due,
    receive_inbound,
    record_reply_sent,
    resolve,
    set_status,
    take,
    thread_summary,
)

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
FIRST, RESOLUTION = AT + timedelta(hours=1), AT + timedelta(hours=10)


def _thread(**values: Any) -> Thread:
    base: dict[str, Any] = {"status": ThreadStatus.NEW.value, "visibility": "public",
                            "priority": 10.0, "urgency": [], "version": 1,
                            "last_message_at": AT, "first_response_due": FIRST,
                            "resolution_due": RESOLUTION}
    base.update(values)
    return Thread(**base)


def test_the_first_response_applies_until_an_agent_answered() -> None:
    thread = _thread()
    found = applicable_due(thread)
    assert found is not None and (found.kind, found.due) == (DueKind.FIRST_RESPONSE, FIRST)
    record_reply_sent(thread, AT + timedelta(minutes=20))
    found = applicable_due(thread)
    assert found is not None and (found.kind, found.due) == (DueKind.RESOLUTION, RESOLUTION)
    assert thread.status == ThreadStatus.WAITING.value
    assert thread.first_response_at == AT + timedelta(minutes=20)


@pytest.mark.parametrize("status", [ThreadStatus.RESOLVED.value, ThreadStatus.CLOSED.value])
def test_no_clock_runs_on_a_finished_thread(status: str) -> None:
    thread = _thread(status=status)
    assert applicable_due(thread) is None and current_due(thread) == NO_DUE


def test_no_clock_without_a_due_time() -> None:
    thread = _thread(first_response_due=None)
    assert applicable_due(thread) is None and current_due(thread) == NO_DUE


def test_a_customer_writing_again_reopens_and_raises_priority_only() -> None:
    thread = _thread(status=ThreadStatus.RESOLVED.value, resolved_at=AT, priority=50.0,
                     category="other", urgency=["scam"])
    receive_inbound(thread, at=AT + timedelta(hours=1), private=True, category="payment",
                    language="fr", polarity=-0.4, urgency=["scam", "money_blocked"],
                    priority=20.0)
    assert thread.status == ThreadStatus.OPEN.value and thread.resolved_at is None
    assert thread.priority == 50.0 and thread.category == "payment"
    assert thread.urgency == ["scam", "money_blocked"] and thread.visibility == "private"
    assert thread.last_message_at == AT + timedelta(hours=1)
    # An older message does not move the last message time back.
    receive_inbound(thread, at=AT, private=False, category="other", language="en",
                    polarity=0.1, urgency=[], priority=90.0)
    assert thread.last_message_at == AT + timedelta(hours=1)
    assert thread.language == "fr" and thread.category == "payment" and thread.priority == 90.0


def test_take_assign_resolve_close() -> None:
    thread = _thread()
    assign(thread, 7)
    assert (thread.assignee_id, thread.status) == (7, ThreadStatus.OPEN.value)
    resolve(thread, AT)
    assert (thread.status, thread.resolved_at) == (ThreadStatus.RESOLVED.value, AT)
    take(thread, 8)
    assert (thread.assignee_id, thread.status, thread.resolved_at) == (
        8, ThreadStatus.OPEN.value, None)
    close(thread, AT, "abusive")
    assert (thread.status, thread.close_reason, thread.resolved_at) == (
        ThreadStatus.CLOSED.value, "abusive", AT)
    set_status(thread, ThreadStatus.WAITING.value, AT)
    assert thread.close_reason is None and thread.resolved_at is None
    with pytest.raises(ValueError):
        set_status(thread, "lost", AT)
    version = thread.version
    bump_version(thread)
    assert thread.version == version + 1


def test_a_new_thread_follows_the_same_rules_and_summary() -> None:
    draft = NewThread(channel_id=1, author_id=2, origin_platform_id="x:1:2", subject="s",
                      created_at=AT, last_message_at=AT, visibility="public")
    receive_inbound(draft, at=AT, private=False, category="delivery", language="en",
                    polarity=0.0, urgency=[], priority=30.0)
    draft.first_response_due = FIRST
    assert current_due(draft) == FIRST
    assert draft.row()["priority"] == 30.0 and draft.row()["version"] == 2
    draft.id = 5
    assert thread_summary(draft, new=True, message_ids=[9]) == {
        "id": 5, "new": True, "version": 2, "status": "new", "assignee_id": None,
        "message_ids": [9]}
