"""Every inbox query is served by an index (issue 20): the plans, read from the database.

A database of realistic shape is built by the inbox bench's own generator (``bench.inbox``,
50,000 threads, 100,000 messages, the same spread as at a million, then ANALYZE) in a
database of its own: a SQLite file, or ``<DATABASE_URL's database>_plans`` on PostgreSQL.
For each case of ``bench.inbox.CASES`` (each sort, each filter, common combinations, first
and later pages, the 500-message thread) the app's own functions run (``list_threads``,
``bounded_count`` per status tab, ``thread_page``: its latest messages and all of them); the
SQL they send is captured and explained (``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN (FORMAT
JSON)`` on PostgreSQL).

Asserted: no sequential scan of threads or messages; no sort of the full result. A sort is
allowed only over rows an index condition selected (a filter's own index, e.g. a category
or an opening-date range), never over a status set read whole; and the cases that only pick
a status and an order (first or later page) must have no sort at all: the index gives the
order and the LIMIT stops the scan.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from bench import inbox as bench_inbox
from tests.helpers import DATABASE_URL, app_settings

THREADS = 50_000
#: Query arguments that only choose the status set, the order and the page.
ORDER_ONLY = {"status", "sort", "after", "messages"}


def _plans_url(tmp: Path) -> str:
    if not DATABASE_URL:
        return f"sqlite:///{tmp / 'plans.db'}"
    url = sa.make_url(DATABASE_URL)
    return url.set(database=f"{url.database}_plans").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def scale_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on a database of realistic shape (built once per run)."""
    from app import create_app
    from app.extensions import db, socketio

    url = _plans_url(tmp_path_factory.mktemp("plans"))
    saved = socketio.server  # create_app() rebinds the module-level Socket.IO server
    bench_inbox.build(url, THREADS)
    application = create_app(app_settings(url))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    socketio.server = saved


class Captured:
    """The SQL statements (with their parameters) the app sends while active."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any,
                 _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.statements.append((statement, parameters))


def _run_case(path: str, me: int) -> list[tuple[str, Any]]:
    from app.extensions import db
    from app.inbox import queries

    captured = Captured()
    sa.event.listen(db.engine, "before_cursor_execute", captured)
    try:
        db.session.remove()
        if path.startswith("/inbox/threads/"):
            page = bench_inbox.thread_page_of(path)
            assert page is not None and len(page.messages) > 0
            # The long thread opens on its latest messages; "all" shows every one.
            assert (page.earlier == 0) == ("messages=all" in path)
        else:
            filters = bench_inbox.filters_of(path, me)
            after = dict(parse_qsl(urlsplit(path).query)).get("after")
            queries.list_threads(filters, after, 50)
            queries.status_counts(filters)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", captured)
    # The filter's own look-ups (the brand's time zone for a date range) are not the inbox's.
    return [(sql, params) for sql, params in captured.statements if "FROM brands" not in sql]


def _sqlite_problems(sql: str, params: Any, strict: bool) -> list[str]:
    from app.extensions import db

    with db.engine.connect() as conn:
        lines = [str(row[3]) for row in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + sql, params)]
    problems = []
    for line in lines:
        for table in ("threads", "messages"):
            if line.startswith(f"SCAN {table}") and " INDEX " not in line:
                problems.append(f"full scan of {table}: {line}")
    if any("TEMP B-TREE" in line and "ORDER BY" in line for line in lines):
        conditioned = any(line.startswith(("SEARCH threads ", "SEARCH messages "))
                          and "(" in line for line in lines)
        if strict or not conditioned:
            problems.append("sort of the full result: " + " | ".join(lines))
    return problems


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _conditioned(node: dict[str, Any]) -> bool:
    """Whether rows of threads or messages under ``node`` were picked by an index condition."""
    return any("Index Cond" in sub and str(sub.get("Index Name", "")).startswith(
        ("ix_threads", "ix_messages", "threads_", "messages_")) for sub in _nodes(node))


def _postgres_problems(sql: str, params: Any, strict: bool) -> list[str]:
    from app.extensions import db

    with db.engine.connect() as conn:
        raw = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql, params).scalar()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    problems = []
    for node in _nodes(plan):
        if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in ("threads",
                                                                            "messages"):
            problems.append(f"sequential scan of {node['Relation Name']}")
        if node["Node Type"] == "Sort" and (strict or not _conditioned(node)):
            problems.append(f"sort of the full result on {node.get('Sort Key')}")
    if problems:
        problems.append(json.dumps(plan)[:3000])
    return problems


def _me() -> int:
    from app.extensions import db

    return int(db.session.execute(sa.text(
        "SELECT id FROM users WHERE email = 'bench1@bench.care'")).scalar_one())


@pytest.mark.parametrize(("name", "path"), bench_inbox.CASES,
                         ids=[name for name, _path in bench_inbox.CASES])
def test_every_inbox_query_is_served_by_an_index(scale_app: Flask, name: str,
                                                 path: str) -> None:
    from app.extensions import db

    args = dict(parse_qsl(urlsplit(path).query))
    with scale_app.test_request_context():
        me = _me()
        statements = _run_case(path, me)
        assert statements, "no query captured"
        problems: list[str] = []
        postgres = db.engine.dialect.name == "postgresql"
        for sql, params in statements:
            # The list and the thread's messages must come in index order; the six counts
            # have no order (only no full scan), the bounded sub-select is the whole query.
            ordered = "ORDER BY" in sql
            strict = ordered and set(args) <= ORDER_ONLY
            found = (_postgres_problems(sql, params, strict) if postgres
                     else _sqlite_problems(sql, params, strict))
            if found:
                problems.append(sql[:400] + "\n  " + "\n  ".join(found))
        assert not problems, f"{name}: " + "\n\n".join(problems)


def test_the_cases_cover_every_sort_and_filter() -> None:
    """The plan test is only as good as its cases: each sort, status and filter appears."""
    from app.inbox import queries

    seen: dict[str, set[str]] = {}
    for _name, path in bench_inbox.CASES:
        for key, value in parse_qsl(urlsplit(path).query):
            seen.setdefault(key, set()).add(value)
    assert set(queries.SORTS) - {"priority"} <= seen["sort"]
    assert {"all", "new", "waiting", "resolved", "closed"} <= seen["status"]
    for key in ("channel", "category", "urgency", "language", "sentiment", "assignee", "sla",
                "opened_from", "opened_to", "after"):
        assert key in seen, key
    assert {"any", "scam"} <= seen["urgency"] and {"me", "none"} <= seen["assignee"]
    assert any(path.startswith("/inbox/threads/") for _name, path in bench_inbox.CASES)



def _plan_text(sql: str, params: Any) -> str:
    from app.extensions import db

    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            return str(conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql, params).scalar())
        return " | ".join(str(row[3]) for row in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + sql, params))


@pytest.mark.parametrize(("case", "index", "which"), [
    # Without its partial index the urgency filter over every status walked all threads
    # newest first and kept one in twenty.
    ("inbox urgency scam, all statuses newest", "ix_threads_urgent_recent", "list"),
    # Without it a channel's counts over a month read every thread of the month.
    ("inbox opened last 30 days, channel, newest", "ix_threads_channel_status_created",
     "counts"),
])
def test_the_narrow_combinations_read_their_own_index(scale_app: Flask, case: str, index: str,
                                                      which: str) -> None:
    path = dict(bench_inbox.CASES)[case]
    with scale_app.test_request_context():
        statements = _run_case(path, _me())
        chosen = [(sql, params) for sql, params in statements
                  if ("ORDER BY" in sql) == (which == "list")]
        plans = [_plan_text(sql, params) for sql, params in chosen]
    assert plans and all(index in plan for plan in plans), f"{case}: {plans}"
