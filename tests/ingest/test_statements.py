"""Ingest's prepared statements (``app.prepared``): same values as the ORM, chunking,
conflicts, and UPDATEs that name only the columns that changed."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    event,
    func,
    select,
)

import app.prepared as sql
from app.extensions import db
from app.ingest import ingest_page
from app.ingest.pipeline import store_page
from app.models import Author, Channel, Thread, ThreadStatus, utcnow
from app.models.types import _sqlite_datetime, _sqlite_text, json_dumps
from app.prepared import BulkInsert, BulkUpdate, SelectIn
from tests.ingest.conftest import page, person, x_post

_authors = Author.__table__
_COLUMNS = ("network", "platform_id", "handle", "display_name", "followers", "segment",
            "created_at", "updated_at")
_insert = BulkInsert(_authors, _COLUMNS, ("network", "platform_id"), ("id", "platform_id"))
_select = SelectIn(_authors, ("platform_id", "handle", "followers", "created_at"),
                   ("network",), "platform_id")
_update = BulkUpdate(_authors, ("followers", "updated_at"))


def _row(pid: str, at: datetime, followers: int | None = 3) -> tuple[Any, ...]:
    return ("x", pid, f"h{pid}", None, followers, "private", at, at)


def test_insert_returns_only_the_rows_it_inserted(app: Any) -> None:
    at = datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=UTC)
    conn = db.session.connection()
    first = _insert(conn, [_row("a", at), _row("b", at)])
    again = _insert(conn, [_row("b", at), _row("c", at)])
    db.session.commit()
    assert sorted(pid for _id, pid in first) == ["a", "b"]
    assert [pid for _id, pid in again] == ["c"]
    stored = {a.platform_id: a for a in db.session.scalars(db.select(Author))}
    assert set(stored) == {"a", "b", "c"}
    # Written by the statement, read by the ORM: the same aware instant.
    assert stored["a"].created_at == at and stored["a"].created_at.tzinfo is not None
    assert {pid: author_id for author_id, pid in first}["a"] == stored["a"].id


def test_values_are_converted_by_the_column_types(app: Any) -> None:
    paris = timezone(timedelta(hours=2))
    at = datetime(2026, 3, 29, 3, 30, tzinfo=paris)  # not UTC: stored as the same instant
    conn = db.session.connection()
    _insert(conn, [_row("p", at, followers=None)])
    (pid, handle, followers, created), = _select(conn, ("x",), ["p", "missing"])
    assert (pid, handle, followers) == ("p", "hp", None)
    assert created == at and created.utcoffset() == timedelta(0)


def test_long_inputs_are_split_across_statements(app: Any, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    monkeypatch.setattr(sql, "MAX_PARAMETERS", 3 * len(_COLUMNS))  # three rows a statement
    monkeypatch.setattr(sql, "MAX_IN", 4)
    at = utcnow()
    conn = db.session.connection()
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        returned = _insert(conn, [_row(str(n), at) for n in range(10)])
        found = _select(conn, ("x",), [str(n) for n in range(12)])
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert sorted(int(pid) for _id, pid in returned) == list(range(10))
    assert sorted(int(row[0]) for row in found) == list(range(10))
    assert sum(s.startswith("INSERT") for s in statements) == 4  # 3 + 3 + 3 + 1
    assert sum(s.startswith("SELECT") for s in statements) == 3  # 4 + 4 + 4
    assert _select(conn, ("x",), []) == []


def test_statements_go_to_the_driver_directly_when_no_one_listens(
        app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    at = utcnow()
    conn = db.session.connection()

    def full_path(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("exec_driver_sql used with no listener")

    monkeypatch.setattr(type(conn), "exec_driver_sql", full_path)
    returned = _insert(conn, [_row("a", at), _row("b", at, followers=None)])
    _update(conn, [(9, at, next(i for i, pid in returned if pid == "a"))])
    found = {row[0]: row for row in _select(conn, ("x",), ["a", "b", "z"])}
    assert sorted(found) == ["a", "b"]
    assert found["a"][2] == 9 and found["b"][2] is None
    assert found["a"][3] == at and found["a"][3].tzinfo is not None


@pytest.mark.parametrize("watched", [False, True], ids=["direct", "through events"])
def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(app: Any, watched: bool) -> None:
    from sqlalchemy.exc import IntegrityError

    seen: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    if watched:
        event.listen(db.engine, "before_cursor_execute", watch)
    try:
        conn = db.session.connection()
        with pytest.raises(IntegrityError):  # handle is NOT NULL
            _insert(conn, [("x", "p1", None, None, 3, "private", utcnow(), utcnow())])
    finally:
        if watched:
            event.remove(db.engine, "before_cursor_execute", watch)
    db.session.rollback()
    assert bool(seen) is watched
    assert db.session.scalar(select(func.count()).select_from(_authors)) == 0


def test_statement_sizes_are_rounded_up_to_a_few_buckets() -> None:
    assert [sql.bucket(n) for n in (1, 2, 3, 5, 9, 16, 17, 32, 33, 100)] == [
        1, 2, 4, 8, 16, 16, 32, 32, 48, 112]
    assert len({sql.bucket(n) for n in range(1, 101)}) == 11
    assert all(sql.bucket(n) >= n for n in range(1, 2000))


@pytest.fixture
def statements(app: Any) -> Iterator[list[tuple[str, Any]]]:
    """The statements and parameters sent to the database while the test runs."""
    found: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        found.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", seen)
    yield found
    event.remove(db.engine, "before_cursor_execute", seen)


def test_padded_inserts_store_and_return_each_row_once(
        app: Any, statements: list[tuple[str, Any]]) -> None:
    at = utcnow()
    conn = db.session.connection()
    first = _insert(conn, [_row(str(n), at) for n in range(5)])  # padded to 8 rows
    # 3 new, 2 already stored: the padding repeats a row that was already there.
    again = _insert(conn, [_row(str(n), at) for n in (3, 4, 5, 6, 7)])
    last_known = _insert(conn, [_row(str(n), at) for n in (8, 9, 1)])  # padded with "1"
    db.session.commit()
    inserts = [(s, p) for s, p in statements if s.startswith("INSERT")]
    assert [len(p) // len(_COLUMNS) for _s, p in inserts] == [8, 8, 4]
    assert inserts[0][0] == inserts[1][0]  # one statement text for five rows and eight
    assert sorted(int(pid) for _id, pid in first) == [0, 1, 2, 3, 4]
    assert sorted(int(pid) for _id, pid in again) == [5, 6, 7]
    assert sorted(int(pid) for _id, pid in last_known) == [8, 9]
    stored = db.session.scalars(db.select(Author.platform_id)).all()
    assert sorted(int(pid) for pid in stored) == list(range(10))


def test_a_row_with_a_null_key_is_not_repeated(app: Any,
                                               statements: list[tuple[str, Any]]) -> None:
    """NULLs never conflict: a repeated row with a NULL key would be stored twice."""
    probe = Table("pad_probe", MetaData(), Column("id", Integer, primary_key=True),
                  Column("a", String(10)), Column("b", String(10), nullable=True),
                  UniqueConstraint("a", "b"))
    insert = BulkInsert(probe, ("a", "b"), ("a", "b"), ("id", "a"))
    conn = db.session.connection()
    probe.create(conn)
    try:
        returned = insert(conn, [("n1", "x"), ("n2", "x"), ("n3", None)])
        assert sorted(a for _id, a in returned) == ["n1", "n2", "n3"]
        assert len(statements[-1][1]) == 3 * 2  # not padded to 4 rows
        assert conn.scalar(select(func.count()).select_from(probe)) == 3
        insert(conn, [("n4", None), ("n5", "x"), ("n6", "x")])  # the last row is repeated
        assert len(statements[-1][1]) == 4 * 2
        assert conn.scalar(select(func.count()).select_from(probe)) == 6
    finally:
        probe.drop(conn)


def test_padded_in_lists_return_each_row_once(app: Any,
                                              statements: list[tuple[str, Any]]) -> None:
    at = utcnow()
    conn = db.session.connection()
    _insert(conn, [_row(str(n), at) for n in range(20)])
    found = _select(conn, ("x",), [str(n) for n in range(0, 20, 2)] + ["missing"])  # 11 → 16
    found_again = _select(conn, ("x",), [str(n) for n in range(13)])  # 13 → 16
    selects = [(s, p) for s, p in statements if s.startswith("SELECT")]
    assert [len(p) for _s, p in selects] == [17, 17]  # the network, then 16 values
    assert selects[0][0] == selects[1][0]
    assert sorted(int(row[0]) for row in found) == list(range(0, 20, 2))
    assert sorted(int(row[0]) for row in found_again) == list(range(13))


def test_update_sets_the_given_columns_by_key(app: Any) -> None:
    at = utcnow()
    conn = db.session.connection()
    ids = dict((pid, i) for i, pid in _insert(conn, [_row("u1", at), _row("u2", at)]))
    later = at + timedelta(hours=1)
    _update(conn, [(500, later, ids["u1"])])
    _update(conn, [])
    db.session.commit()
    stored = {a.platform_id: a for a in db.session.scalars(db.select(Author))}
    assert (stored["u1"].followers, stored["u1"].updated_at) == (500, later)
    assert (stored["u2"].followers, stored["u2"].updated_at) == (3, at)
    assert stored["u1"].handle == "hu1"


def test_a_held_channel_is_not_reloaded_at_each_page(
        make_channel: Callable[..., Channel], statements: list[tuple[str, Any]]) -> None:
    channel = make_channel()
    ingest_page(channel, page([x_post(author=person(1))]))
    statements.clear()
    ingest_page(channel, page([x_post(author=person(2)), x_post(author=person(1))]))
    ingest_page(channel, page([x_post(author=person(3))], cursor={"since_id": "last"}))
    assert not [s for s, _p in statements if "FROM channels" in s]
    # The cursor was written each time, and the channel reads it back once expired.
    assert channel.poll_cursor == {"since_id": "last"}
    assert db.session.scalar(db.select(db.func.count(Thread.id))) == 4  # 4 conversations


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


def test_sqlite_datetimes_are_read_back_exactly() -> None:
    def generic(value: str) -> str:
        return f"generic:{value}"

    assert _sqlite_datetime("2026-03-29 01:59:59.000001", generic) == \
        datetime(2026, 3, 29, 1, 59, 59, 1, tzinfo=UTC)
    assert _sqlite_datetime(None, generic) is None
    # Text another tool wrote goes the generic way.
    assert _sqlite_datetime("2026-03-29 01:59:59", generic) == "generic:2026-03-29 01:59:59"
    assert _sqlite_datetime("not a date, 26 characters", generic) == \
        "generic:not a date, 26 characters"


def test_sqlite_text_is_the_utc_instant_to_the_microsecond() -> None:
    paris = timezone(timedelta(hours=1))
    first = datetime(2026, 11, 23, 10, 30, tzinfo=paris)
    assert _sqlite_text(first) == "2026-11-23 09:30:00.000000"
    assert _sqlite_text(first) == "2026-11-23 09:30:00.000000"  # the same object again
    assert _sqlite_text(datetime(2026, 11, 23, 9, 30, 0, 7, tzinfo=UTC)) == \
        "2026-11-23 09:30:00.000007"
    assert _sqlite_text(None) is None
    # Rows alternate a shared reception time with their own times: each keeps its text.
    shared = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(3):
        own = datetime(2026, 1, 2, 0, 0, n, tzinfo=UTC)
        assert (_sqlite_text(shared), _sqlite_text(own)) == \
            ("2026-01-01 00:00:00.000000", f"2026-01-02 00:00:0{n}.000000")
    with pytest.raises(ValueError, match="naive"):
        _sqlite_text(datetime(2026, 11, 23, 9, 30))


def test_sqlite_texts_remembered_by_value_stay_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.models.types as types

    monkeypatch.setattr(types, "_TEXTS_MAX", 3)
    monkeypatch.setattr(types, "_texts", {})
    paris = timezone(timedelta(hours=1))
    instants = [datetime(2026, 11, 23, 10, n, 0, n, tzinfo=paris) for n in range(8)]
    for _round in range(2):
        for n, at in enumerate(instants):
            # A fresh object each time: equal values, found by value (or formatted again).
            again = at + timedelta(0)
            expected = f"2026-11-23 09:{n:02d}:00.{n:06d}"
            assert _sqlite_text(again) == expected
            assert _sqlite_text(again.astimezone(UTC)) == expected  # same instant, UTC
    assert len(types._texts) <= 3  # emptied when full
    # Read back, from what was written or parsed afresh: the instant, in UTC.
    monkeypatch.setattr(types, "_instants", {})
    for _round in range(2):
        for at in instants:
            read = _sqlite_datetime(_sqlite_text(at + timedelta(0)), None)
            assert read == at and read.tzinfo is UTC
            text = _sqlite_text(at)
            types._instants.clear()  # parsed, not remembered
            assert _sqlite_datetime(text, None) == at
    assert len(types._instants) <= 3
    # Naive values never match an aware one, even at the same wall time.
    with pytest.raises(ValueError, match="naive"):
        _sqlite_text(datetime(2026, 11, 23, 9, 0, 0, 0))


def test_ingest_reads_the_brands_own_words_and_targets(
        make_channel: Callable[..., Channel]) -> None:
    from app.admin.brand_settings import parse_words
    from app.models import Brand, Message
    from app.sla.calendar import DEFAULT_SLA_TARGETS, due_times
    from app.sla.policy import policy_for_settings

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


@pytest.mark.parametrize("value", [
    [], {}, [{"name": "outage", "terms": ["panne", "bloqué"], "score": 0.5}],
    {"a": [1, 2.5, None, True, 'é\n"x']}, "plain é", 3, 2.0, None, {"k": float("nan")},
    {1: "an int key"}, [["nested", []]],
])
def test_json_is_written_as_json_dumps_writes_it(value: Any) -> None:
    assert json_dumps(value) == json.dumps(value)


def test_json_refuses_what_json_dumps_refuses() -> None:
    with pytest.raises(TypeError):
        json_dumps({"x": object()})


def test_an_insert_without_conflict_columns_stores_every_row_unpadded(
        app: Any, statements: list[tuple[str, Any]]) -> None:
    """``publish`` uses this form: a repeated row would be a second event."""
    probe = Table("plain_probe", MetaData(), Column("id", Integer, primary_key=True),
                  Column("a", String(10)))
    insert = BulkInsert(probe, ("a",), (), ("id", "a"))
    conn = db.session.connection()
    probe.create(conn)
    try:
        returned = insert(conn, [("same",), ("same",), ("other",)])  # 3 rows, bucket 4
        assert sorted(a for _id, a in returned) == ["other", "same", "same"]
        assert "ON CONFLICT" not in statements[-1][0]
        assert len(statements[-1][1]) == 3
        assert conn.scalar(select(func.count()).select_from(probe)) == 3
    finally:
        probe.drop(conn)


def test_column_conversion_equals_the_per_value_processors(app: Any) -> None:
    """Columns converted at once (``_by_column``) give what each value's processor gives."""
    from app.models import Message

    paris = timezone(timedelta(hours=1))
    base = datetime(2026, 12, 5, 10, 0, 0, 1, tzinfo=paris)
    shape = sql._Shape(Message.__table__, ("platform_created_at", "urgency", "polarity",
                                           "is_acknowledgement", "text"), db.engine.dialect)
    flag = [{"name": "outage", "terms": ["panne"], "score": 0.5}]
    rows = [(base + timedelta(seconds=n), [] if n % 2 else flag, n / 7, n % 3 == 0, f"t{n}")
            for n in range(6)]
    rows += [(None, None, None, None, "nulls"), (base, {"a": []}, 1, False, "dict")]
    def plain(converted: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        # psycopg's JSON wrappers compare by identity: compare what they wrap.
        return [tuple(getattr(v, "obj", v) for v in row) for row in converted]

    expected = plain([tuple(sql._converted(row, shape.bind)) for row in rows])
    assert plain(shape.bound_rows(rows)) == expected
    assert plain(shape.bound_rows(rows)) == expected  # again: from the remembered texts
    assert shape.bound_rows([]) == []
    if db.engine.dialect.name != "sqlite":
        return
    # A JSON column's empty list takes the short way only when it is a plain empty list.
    json_at = next(i for i, column in enumerate(shape.columns) if column.name == "urgency")
    assert [row[json_at] for row in shape.bound_rows(rows)] == \
        [json.dumps(row[1]) for row in rows]
    with pytest.raises(ValueError, match="naive"):
        shape.bound_rows([(datetime(2026, 12, 5, 10, 0), [], 0.0, False, "naive")])


def test_sqlite_columns_of_datetimes_match_the_value_functions(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import app.models.types as types

    monkeypatch.setattr(types, "_texts", {})
    monkeypatch.setattr(types, "_instants", {})
    paris = timezone(timedelta(hours=1))
    values = [datetime(2026, 3, 29, 1, n, 0, n, tzinfo=paris if n % 2 else UTC)
              for n in range(5)]
    column = [values[0], None, values[1], values[0], values[2], values[3], values[4]]
    texts = types.sqlite_texts(column)  # all unknown yet, then found by value
    assert texts == [_sqlite_text(v) for v in column]
    assert types.sqlite_texts(column) == texts
    assert texts[1] is None
    types._instants.clear()
    read = types.sqlite_datetimes([*texts, "2026-03-29 01:59:59"], lambda v: f"generic:{v}")
    assert read[:-1] == column and all(r is None or r.tzinfo is UTC for r in read[:-1])
    assert read[-1] == "generic:2026-03-29 01:59:59"  # written by another tool
    assert types.sqlite_datetimes(texts, None) == column  # remembered by text now
