"""Hot statements, rendered once per dialect and run with positional parameters.

Ingest uses these, and so does ``publish``. Ingest writes a page of about a hundred
mentions with about ten statements. Through SQLAlchemy Core, every row of every statement
went through the compiled statement's generic machinery (a dictionary of named parameters
per row, IN lists expanded and the SQL re-rendered at each execution, a result row object
per row read): a quarter of the instructions ingest spends beyond scoring (callgrind,
``python -m bench ingest --instructions``: 2.32 M per mention before, 2.10 M after). Here
each statement is rendered once per dialect and size from the table's own columns;
parameters are positional tuples converted by the columns' own type processors (the very
conversions SQLAlchemy applies, so the stored values are the same), a column at a time;
and the statement runs on the session's connection, in its transaction: on the driver's
cursor directly, or through ``Connection.exec_driver_sql`` when engine events or SQL
logging would see it (``run``).

Only the subset of SQL that SQLite (3.35 or later) and PostgreSQL share is rendered:
multi-row ``INSERT [... ON CONFLICT (...) DO NOTHING] RETURNING``, ``UPDATE ... WHERE key``
and ``SELECT ... WHERE a = ? AND b IN (...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from itertools import chain
from typing import Any

from sqlalchemy import JSON, Column, Connection, Dialect, Table

Processor = Callable[[Any], Any] | None
#: Converts a whole column of values (a sequence) to an iterable of converted values.
ColumnProcessor = Callable[[Sequence[Any]], Iterable[Any]]

#: Bound parameters per statement. SQLite (since 3.32) allows 32,766, PostgreSQL 65,535;
#: SQLAlchemy's own multi-row inserts use the same bound.
MAX_PARAMETERS = 32_000
#: Values in one IN list; longer lists are read in several statements.
MAX_IN = 500


def bucket(size: int) -> int:
    """The statement size that carries ``size`` rows or values: 1, 2, 4, 8, 16, then the
    next multiple of 16.

    Each distinct statement text is prepared by SQLite (the driver keeps the last 128),
    and preparing a multi-row statement is dear: 0.2–0.4 ms for a 64-row thread INSERT, up
    to a quarter of its cost. Page sizes vary from poll to poll, so sizes are rounded up to
    a few buckets, eleven for sizes up to a hundred; the extra places repeat the last value
    (see ``SelectIn`` and ``BulkInsert``).
    """
    if size <= 16:
        return 1 << max(0, size - 1).bit_length()
    return -(-size // 16) * 16


def _placeholder(dialect: Dialect) -> str:
    if dialect.paramstyle == "qmark":
        return "?"
    if dialect.paramstyle in ("format", "pyformat"):
        return "%s"
    raise NotImplementedError(f"parameter style {dialect.paramstyle!r}")


class _Shape:
    """Quoted names and type processors of some columns of a table, for one dialect."""

    def __init__(self, table: Table, names: Sequence[str], dialect: Dialect) -> None:
        quote = dialect.identifier_preparer.quote
        self.columns: list[Column[Any]] = [table.c[name] for name in names]
        self.sql = [quote(name) for name in names]
        # The processors SQLAlchemy itself uses for these types on this dialect (cached by
        # the dialect): aware datetimes to SQLite's text, JSON to text, and so on.
        self.dialect = dialect
        binds: list[Processor] = [c.type._cached_bind_processor(dialect) for c in self.columns]
        self.bind: list[tuple[int, Processor]] = [
            (i, p) for i, p in enumerate(binds) if p is not None]
        self.bind_columns: list[tuple[int, ColumnProcessor]] = [
            (i, _bind_column(self.columns[i], dialect, process)) for i, process in self.bind]
        # Result processors depend on the driver's type codes: known at the first read.
        self.result: list[tuple[int, ColumnProcessor]] | None = None

    def bound(self, row: Sequence[Any]) -> Sequence[Any]:
        """A row's values as the driver takes them."""
        return _converted(row, self.bind) if self.bind else row

    def bound_rows(self, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Rows' values as the driver takes them, one tuple per row."""
        if not self.bind_columns or not rows:
            return [tuple(row) for row in rows]
        return _by_column(rows, self.bind_columns)

    def loaded(self, rows: list[Any], description: Any) -> list[tuple[Any, ...]]:
        """``rows`` as the driver returned them (these columns), converted to Python values."""
        if self.result is None:
            codes = [entry[1] for entry in description]
            self.result = [
                (i, found) for i, found in enumerate(
                    _result_column(column, self.dialect, code)
                    for column, code in zip(self.columns, codes, strict=True))
                if found is not None]
        if not self.result or not rows:
            return rows if type(rows) is list else list(rows)
        return _by_column(rows, self.result)


def _by_column(rows: Sequence[Sequence[Any]], processors: list[tuple[int, ColumnProcessor]]
               ) -> list[tuple[Any, ...]]:
    """``rows`` with each column that has a processor converted, a column at a time.

    Row by row, each value took a Python loop step, an index and a store around its
    processor's call; a column at a time, the transposing and the calls are C loops
    (``zip``, ``map``), and a column processor may skip calls altogether (SQLite's
    datetimes: most were formatted or parsed before, see ``app.models.types``).
    """
    columns: list[Any] = list(zip(*rows, strict=True))
    for i, process in processors:
        columns[i] = process(columns[i])
    return list(zip(*columns, strict=True))


def _bind_column(column: Column[Any], dialect: Dialect, process: Processor) -> ColumnProcessor:
    """``process`` applied to a whole column of values."""
    own = getattr(column.type, "bind_column_processor", None)
    batch = own(dialect) if own is not None else None
    if batch is not None:
        return batch  # type: ignore[no-any-return]
    assert process is not None
    if isinstance(column.type, JSON):
        # Most messages carry no urgency flag and no personal data: the empty list's text
        # is the same every time (the serializer is a pure function of the value).
        empty = process([])
        if isinstance(empty, str):
            def json_column(values: Sequence[Any]) -> list[Any]:
                return [empty if value.__class__ is list and not value else process(value)
                        for value in values]
            return json_column
    return partial(map, process)


def _result_column(column: Column[Any], dialect: Dialect, code: Any) -> ColumnProcessor | None:
    """The result processor of ``column`` for a whole column of read values, or None."""
    own = getattr(column.type, "result_column_processor", None)
    if own is not None:
        batch = own(dialect, code)
        if batch is not None:
            return batch
    process = column.type._cached_result_processor(dialect, code)
    return None if process is None else partial(map, process)


def _watched(conn: Connection) -> bool:
    """Whether SQL is logged or someone listens to this connection's statements."""
    if conn._echo or conn.dialect._has_events:
        return True
    if not (conn._has_events or conn.engine._has_events):
        return False
    # The flags stay set once a listener was added, even after it was removed (a test's
    # watcher): ask the listener collections themselves.
    on = conn.dispatch
    return bool(on.before_execute or on.after_execute or on.before_cursor_execute
                or on.after_cursor_execute)


def run(conn: Connection, sql: str, params: Any, *, many: bool = False
        ) -> tuple[list[Any], Any]:
    """Run driver-level ``sql`` in ``conn``'s transaction: the rows it returns (as the driver
    gives them) and the cursor's description (None for a statement returning no rows).

    Through ``Connection.exec_driver_sql``, each statement built an execution context and
    a result object around the driver's cursor: a twelfth of ingest's own cost, at about
    ten statements a page, for rows read straight from the cursor anyway. When no one
    listens to the engine's events and SQL is not logged, the statement goes to the
    driver's cursor directly; otherwise (a test watching the statements, ``echo``) it
    takes the full path, so that they see it. Either way a driver error is raised as
    SQLAlchemy raises it (wrapped, and a lost connection invalidated).
    """
    if _watched(conn):
        result = conn.exec_driver_sql(sql, params)
        try:
            if not result.returns_rows:
                return [], None
            return result.cursor.fetchall(), result.cursor.description
        finally:
            result.close()
    cursor = conn.connection.cursor()
    try:
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
        description = cursor.description
        return (cursor.fetchall() if description is not None else []), description
    except conn.dialect.loaded_dbapi.Error as error:
        conn._handle_dbapi_exception(error, sql, params, cursor, None)
    finally:
        cursor.close()


def _converted(row: Sequence[Any], processors: list[tuple[int, Processor]]) -> list[Any]:
    """``row`` with each processor applied to the value at its index."""
    values = list(row)
    for i, process in processors:
        values[i] = process(values[i])  # type: ignore[misc]
    return values


class _PerDialect:
    """Lazily built state, one per dialect (an app may run SQLite tests then PostgreSQL)."""

    def __init__(self) -> None:
        self._state: dict[str, Any] = {}

    def state(self, dialect: Dialect) -> Any:
        key = f"{dialect.name}+{dialect.driver}"
        found = self._state.get(key)
        if found is None:
            found = self._state[key] = self.build(dialect)
        return found

    def build(self, dialect: Dialect) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError


class BulkInsert(_PerDialect):
    """``INSERT`` of many rows in one statement, skipping rows that hit ``conflict``.

    Returns the ``returning`` columns of the rows actually inserted: the rows another
    transaction inserted first are not among them. With no ``conflict`` columns, every row
    is inserted (and sizes are not padded).
    """

    def __init__(self, table: Table, columns: Sequence[str], conflict: Sequence[str],
                 returning: Sequence[str]) -> None:
        super().__init__()
        self.table, self.columns = table, tuple(columns)
        self.conflict, self.returning = tuple(conflict), tuple(returning)

    def build(self, dialect: Dialect) -> Any:
        shape = _Shape(self.table, self.columns, dialect)
        back = _Shape(self.table, self.returning, dialect)
        quote = dialect.identifier_preparer.quote
        head = (f"INSERT INTO {dialect.identifier_preparer.format_table(self.table)} "
                f"({', '.join(shape.sql)}) VALUES ")
        tail = (f" ON CONFLICT ({', '.join(quote(c) for c in self.conflict)}) DO NOTHING"
                if self.conflict else "") + f" RETURNING {', '.join(back.sql)}"
        group = "(" + ", ".join([_placeholder(dialect)] * len(self.columns)) + ")"
        keys = [self.columns.index(c) for c in self.conflict]
        return shape, back, head, tail, group, keys, {}

    def __call__(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Insert ``rows`` (tuples in ``columns`` order); the inserted rows' ``returning``."""
        shape, back, head, tail, group, keys, sql_by_size = self.state(conn.dialect)
        per_statement = max(1, MAX_PARAMETERS // len(self.columns))
        out: list[tuple[Any, ...]] = []
        for start in range(0, len(rows), per_statement):
            chunk = shape.bound_rows(rows[start:start + per_statement])
            size = min(bucket(len(chunk)), per_statement)
            # The padding repeats the last row: it hits the conflict key that row has just
            # taken (or that was already taken), so it inserts nothing and returns nothing.
            # A NULL in the key would not conflict: such a row is never repeated.
            last = chunk[-1]
            if size > len(chunk) and keys and all(last[i] is not None for i in keys):
                chunk.extend([last] * (size - len(chunk)))
            sql = sql_by_size.get(len(chunk))
            if sql is None:
                sql = sql_by_size[len(chunk)] = head + ", ".join([group] * len(chunk)) + tail
            out.extend(back.loaded(*run(conn, sql, tuple(chain.from_iterable(chunk)))))
        return out


class BulkUpdate(_PerDialect):
    """``UPDATE`` of some columns of many rows, each found by its key (one executemany)."""

    def __init__(self, table: Table, columns: Sequence[str], key: str = "id") -> None:
        super().__init__()
        self.table, self.columns, self.key = table, tuple(columns), key

    def build(self, dialect: Dialect) -> Any:
        shape = _Shape(self.table, (*self.columns, self.key), dialect)
        mark = _placeholder(dialect)
        sets = ", ".join(f"{name} = {mark}" for name in shape.sql[:-1])
        sql = (f"UPDATE {dialect.identifier_preparer.format_table(self.table)} SET {sets} "
               f"WHERE {shape.sql[-1]} = {mark}")
        return shape, sql

    def __call__(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
        """Update with ``rows``: tuples of the new values in ``columns`` order, then the key."""
        if not rows:
            return
        shape, sql = self.state(conn.dialect)
        run(conn, sql, shape.bound_rows(rows), many=True)


class SelectIn(_PerDialect):
    """``SELECT columns FROM table WHERE fixed = ? AND ... AND column IN (...)``."""

    def __init__(self, table: Table, columns: Sequence[str], fixed: Sequence[str],
                 among: str) -> None:
        super().__init__()
        self.table, self.columns = table, tuple(columns)
        self.fixed, self.among = tuple(fixed), among

    def build(self, dialect: Dialect) -> Any:
        shape = _Shape(self.table, self.columns, dialect)
        fixed = _Shape(self.table, self.fixed, dialect)
        among = _Shape(self.table, (self.among,), dialect)
        mark = _placeholder(dialect)
        head = (f"SELECT {', '.join(shape.sql)} FROM "
                f"{dialect.identifier_preparer.format_table(self.table)} WHERE "
                + "".join(f"{name} = {mark} AND " for name in fixed.sql)
                + f"{among.sql[0]} IN (")
        process = among.bind[0][1] if among.bind else None
        return shape, fixed, process, head, mark, {}

    def __call__(self, conn: Connection, fixed: Sequence[Any],
                 among: Iterable[Any]) -> list[tuple[Any, ...]]:
        """The rows whose ``fixed`` columns equal ``fixed`` and whose ``among`` is listed."""
        shape, fixed_shape, process, head, mark, sql_by_size = self.state(conn.dialect)
        wanted = list(among) if process is None else [process(value) for value in among]
        params = tuple(fixed_shape.bound(fixed))
        out: list[tuple[Any, ...]] = []
        for start in range(0, len(wanted), MAX_IN):
            chunk = wanted[start:start + MAX_IN]
            # Padded to its bucket with the last value: a repeated IN value changes nothing.
            chunk.extend([chunk[-1]] * (min(bucket(len(chunk)), MAX_IN) - len(chunk)))
            sql = sql_by_size.get(len(chunk))
            if sql is None:
                sql = sql_by_size[len(chunk)] = head + ", ".join([mark] * len(chunk)) + ")"
            out.extend(shape.loaded(*run(conn, sql, (*params, *chunk))))
        return out
