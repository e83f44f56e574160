"""Ingest's writes: UPDATEs that name only the columns that changed, a thread the caller
holds kept current, a reopening written, the brand's own words and targets applied."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from app.extensions import db
from app.ingest import ingest_page
from app.ingest.pipeline import store_page
from app.models import Channel, Thread, ThreadStatus, utcnow
from tests.ingest.conftest import page, person, x_post


@pytest.fixture
def updates(app: Any) -> Iterator[list[str]]:
    """The UPDATE statements sent to the database while the test runs."""
    found: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("UPDATE threads"):
            found.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    yield found
    event.remove(db.engine, "before_cursor_execute", seen)


def _set_columns(statement: str) -> set[str]:
    assignments = statement.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    return {part.split("=")[0].strip() for part in assignments.split(",")}


def test_a_reply_updates_only_what_it_changed(make_channel: Callable[..., Channel],
                                              updates: list[str]) -> None:
    channel = make_channel("x")
    who = person(1)
    ingest_page(channel, page([x_post("@Brand mon colis ?", pid="9001", author=who)]))
    thread = db.session.scalars(db.select(Thread)).one()
    due, status = thread.first_response_due, thread.status
    updates.clear()
    ingest_page(channel, page([x_post("@Brand toujours rien, c'est inadmissible", pid="9002",
                                      author=who, conversation="9001", parent="9001")]))
    assert len(updates) == 1
    changed = _set_columns(updates[0])
    assert {"last_message_at", "version"} <= changed
    # Neither the status nor the due times moved: their indexes are left alone.
    assert not changed & {"status", "first_response_due", "resolution_due", "sla_due",
                          "visibility", "resolved_at"}
    db.session.expire_all()
    thread = db.session.get(Thread, thread.id)
    assert (thread.first_response_due, thread.status) == (due, status)
    assert thread.version == 3
    assert len(thread.messages) == 2


def test_a_thread_the_caller_holds_is_reloaded_after_a_reply(
        make_channel: Callable[..., Channel]) -> None:
    channel = make_channel("x")
    who = person(3)
    ingest_page(channel, page([x_post("@Brand bonjour", pid="9201", author=who)]))
    held = db.session.scalars(db.select(Thread)).one()
    assert held.version == 2
    # Stored in the caller's transaction, before any commit would expire everything.
    store_page(channel, page([x_post("@Brand toujours là ?", pid="9202", author=who,
                                     conversation="9201", parent="9201")]), private=False)
    assert held.version == 3 and len(held.messages) == 2
    db.session.rollback()


def test_a_reply_reopening_a_thread_writes_its_status(make_channel: Callable[..., Channel],
                                                       updates: list[str]) -> None:
    channel = make_channel("x")
    who = person(2)
    ingest_page(channel, page([x_post("@Brand question", pid="9101", author=who)]))
    thread = db.session.scalars(db.select(Thread)).one()
    thread.status, thread.resolved_at = ThreadStatus.RESOLVED.value, utcnow()
    db.session.commit()
    updates.clear()
    ingest_page(channel, page([x_post("@Brand en fait non", pid="9102", author=who,
                                      conversation="9101", parent="9101")]))
    assert {"status", "resolved_at"} <= _set_columns(updates[-1])
    db.session.expire_all()
    thread = db.session.get(Thread, thread.id)
    assert thread.status == ThreadStatus.OPEN.value and thread.resolved_at is None


def test_ingest_reads_the_brands_own_words_and_targets(
        make_channel: Callable[..., Channel]) -> None:
    from app.admin.brand_settings import parse_words
    from app.models import Brand, Message
    from app.sla.policy import policy_for_settings
    from app.sla.targets import DEFAULT_SLA_TARGETS, due_times

    extra: dict[str, Any] = {}
    parse_words("words_fr", "account: points zenith", "fr", extra)
    targets = DEFAULT_SLA_TARGETS.to_dict()
    for band in targets["first_response"]["private"]:
        targets["first_response"]["private"][band] = 7
    settings = {"tone_extra": extra, "sla_targets": targets}
    channel = make_channel("x", brand=Brand(name="Zenith", slug="zenith", settings=settings))
    at = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday morning in Paris
    ingest_page(channel, page([x_post("où en sont mes points zénith ?", pid="9301", at=at)]))
    message = db.session.scalars(db.select(Message)).one()
    assert message.category == "account"
    thread = message.thread
    ours = due_times(at, "private", thread.priority, *policy_for_settings(settings))[0]
    default = due_times(at, "private", thread.priority, *policy_for_settings({}))[0]
    assert thread.first_response_due == ours != default
