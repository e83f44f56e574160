"""The inbox's list queries at a million threads (issue 20): raw SQL time beside the target.

What it builds (``build``), with SQL generation only (minutes, not hours):

* PostgreSQL when reachable: the database of ``BENCH_INBOX_URL`` (default
  ``postgresql://postgres@127.0.0.1:5432/care_bench_inbox``), created when missing, with
  ``generate_series``; otherwise SQLite in ``instance/bench_inbox.db`` with a recursive CTE;
* one brand, four channels (two X, two Facebook), ten agents ``bench1@bench.care`` ..
  ``bench10@bench.care`` (password ``bench-password``; the serving bench logs them in);
* ``threads`` threads (default 1,000,000) over 900 days, and two messages each (2,000,000),
  of which thread 1 has 500 messages (the thread page case). The spread: the newest 11 %
  mostly active (new, open, waiting), the rest mostly closed or resolved with 1 % left open
  (about 100,000 active threads at a million); nine categories, three languages, about 3 %
  of threads with an urgency flag (a few with two), sentiment from -1 to 1, half of the
  threads assigned, due times around now for the active ones (about a fifth breached),
  300,000 authors. Every value is a function of the row number, so two builds are alike.

The database is rebuilt only when it is absent, holds another size, or its schema differs
from the models' (a hash of the DDL is stored in ``bench_inbox_meta``).

What it measures, per case of ``CASES`` (the paths the serving bench loads over HTTP): the
app's own ``list_threads`` (the list query, its 51 rows loaded as objects) and
``status_counts`` (the counts of the status tabs), p50 and p99 over repeated runs with a fresh
session each time, beside the target (list query <= 5 ms); and the thread page's query
(``thread_page``: the thread, its latest 100 of 500 messages and their agents, and the
count of the earlier ones).

    python -m bench inbox [--threads N] [--repeat N] [--rebuild]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import text

TARGET_LIST_MS = 5.0
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/care_bench_inbox"
SQLITE_PATH = Path(__file__).resolve().parent.parent / "instance" / "bench_inbox.db"
THREADS = 1_000_000
CHANNELS = 4
AGENTS = 10
PASSWORD = "bench-password"
DAYS = 900
#: Thread 1 carries this many messages (the thread page case).
LONG_THREAD = 1
LONG_MESSAGES = 500

_NOW = datetime.now(UTC).replace(microsecond=0)
_TODAY = _NOW.date()


def _cursor(key: float | datetime, thread_id: int) -> str:
    from app.inbox.queries import cursor_token

    return cursor_token(key, thread_id)


def _cases() -> list[tuple[str, str]]:
    """The inbox's sorts, filters and common combinations, first and later pages."""
    last = 2**31 - 1
    month = f"opened_from={(_TODAY - timedelta(days=29)).isoformat()}&opened_to={_TODAY}"
    return [
        ("inbox default", "/inbox"),
        ("inbox default, later page", f"/inbox?after={_cursor(45.0, last)}"),
        ("inbox newest", "/inbox?sort=recent"),
        ("inbox newest, later page",
         f"/inbox?sort=recent&after={_cursor(_NOW - timedelta(days=20), last)}"),
        ("inbox least time left", "/inbox?sort=sla"),
        ("inbox least time left, later page",
         f"/inbox?sort=sla&after={_cursor(_NOW + timedelta(hours=6), 0)}"),
        ("inbox all statuses", "/inbox?status=all"),
        ("inbox all statuses, later page", f"/inbox?status=all&after={_cursor(30.0, last)}"),
        ("inbox all statuses newest", "/inbox?status=all&sort=recent"),
        ("inbox all statuses least time left", "/inbox?status=all&sort=sla"),
        ("inbox new", "/inbox?status=new"),
        ("inbox waiting, least time left", "/inbox?status=waiting&sort=sla"),
        ("inbox closed newest", "/inbox?status=closed&sort=recent"),
        ("inbox resolved, later page", f"/inbox?status=resolved&after={_cursor(40.0, last)}"),
        ("inbox SLA breached", "/inbox?sla=breached"),
        ("inbox SLA breached, all statuses", "/inbox?status=all&sla=breached"),
        ("inbox urgency any", "/inbox?urgency=any"),
        ("inbox urgency scam", "/inbox?urgency=scam"),
        ("inbox urgency scam, all statuses newest", "/inbox?status=all&urgency=scam&sort=recent"),
        ("inbox channel", "/inbox?channel=1"),
        ("inbox channel, all statuses newest", "/inbox?channel=2&status=all&sort=recent"),
        ("inbox assigned to me", "/inbox?assignee=me"),
        ("inbox unassigned, least time left", "/inbox?assignee=none&sort=sla"),
        ("inbox category", "/inbox?category=delivery"),
        ("inbox category, all statuses", "/inbox?category=fraud&status=all"),
        ("inbox negative", "/inbox?sentiment=negative"),
        ("inbox English, newest", "/inbox?language=en&sort=recent"),
        ("inbox channel + urgency + breached", "/inbox?channel=1&urgency=any&sla=breached"),
        ("inbox opened last 30 days, all", f"/inbox?status=all&{month}"),
        ("inbox opened last 30 days, channel, newest",
         f"/inbox?status=all&channel=3&sort=recent&{month}"),
        ("thread 500 messages", f"/inbox/threads/{LONG_THREAD}"),
        ("thread 500 messages, all shown", f"/inbox/threads/{LONG_THREAD}?messages=all"),
    ]


#: (case name, URL path with its query string): what a logged-in agent loads.
CASES: list[tuple[str, str]] = _cases()


# --- building ----------------------------------------------------------------------------

def _series(dialect: str, n_param: str) -> str:
    """Rows g = 1..n as a FROM item (bigint on PostgreSQL: the hashes below overflow int)."""
    if dialect == "postgresql":
        return f"generate_series(CAST(1 AS bigint), CAST(:{n_param} AS bigint)) AS s(g)"
    return (f"(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s "
            f"WHERE g < :{n_param}) SELECT g FROM s) AS s")


def _h(k: int, m: int) -> str:
    """A pseudo-random value 0..m-1 of the row number (one per k, no random())."""
    primes = (7919, 104729, 1299709, 15485863, 32452843, 49979687, 67867967, 86028121)
    return f"((g * {primes[k]} + {k * 31 + 7}) % {m})"


def _ts(dialect: str, base: str, seconds: str) -> str:
    """``base`` (a bound parameter name) plus ``seconds`` (an SQL expression)."""
    if dialect == "postgresql":
        return f"(CAST(:{base} AS timestamptz) + make_interval(secs => {seconds}))"
    return (f"(datetime(:{base}, printf('%+d seconds', CAST(({seconds}) AS integer)))"
            " || '.000000')")


def _urgency_columns() -> tuple[str, str]:
    """The bits and the JSON list of a thread's urgency, from the row number: about 3 % of
    threads carry one flag, 0.3 % two."""
    from app.models.thread import URGENCY_BITS

    flags = list(URGENCY_BITS)
    bits = (f"(CASE WHEN {_h(3, 1000)} < 30 THEN {_bit_of(_h(4, len(flags)))} ELSE 0 END"
            f" | CASE WHEN {_h(3, 1000)} < 3 THEN {_bit_of(_h(5, len(flags)))} ELSE 0 END)")
    names = []
    for value in range(1 << len(flags)):
        listed = [f for f in flags if URGENCY_BITS[f] & value]
        if len(listed) <= 2:
            names.append(f"WHEN {value} THEN '[" + ", ".join(f'"{f}"' for f in listed) + "]'")
    return bits, "CASE {bits} " + " ".join(names) + " END"


def _bit_of(expr: str) -> str:
    return ("(CASE " + expr + " " + " ".join(f"WHEN {i} THEN {1 << i}" for i in range(6))
            + " ELSE 0 END)")


def _schema_hash(db: Any) -> str:
    from sqlalchemy.schema import CreateIndex, CreateTable

    dialect = db.engine.dialect
    parts = []
    for table in db.metadata.sorted_tables:
        parts.append(str(CreateTable(table).compile(dialect=dialect)))
        parts.extend(str(CreateIndex(index).compile(dialect=dialect))
                     for index in sorted(table.indexes, key=lambda i: i.name or ""))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _current(db: Any, threads: int) -> bool:
    """Whether the database already holds this build (same size, same schema)."""
    try:
        row = db.session.execute(text(
            "SELECT schema_hash, threads FROM bench_inbox_meta")).first()
    except Exception:  # no table: never built
        db.session.rollback()
        return False
    return row is not None and row[0] == _schema_hash(db) and int(row[1]) == threads


def _reset(db: Any) -> None:
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("DROP SCHEMA public CASCADE"))
        db.session.execute(text("CREATE SCHEMA public"))
        db.session.commit()
    else:  # a new file: dropping a million rows' tables is slower
        db.session.remove()
        db.engine.dispose()
        path = db.engine.url.database
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    db.create_all()


def _base_rows(db: Any) -> None:
    from app.auth.passwords import hash_password
    from app.models import Brand, Channel, User

    brand = Brand(name="Bench", slug="bench", timezone="Europe/Paris", settings={})
    db.session.add(brand)
    db.session.flush()
    for n in range(CHANNELS):
        network = "x" if n % 2 == 0 else "facebook"
        db.session.add(Channel(brand_id=brand.id, network=network, name=f"{network} {n + 1}",
                               account_id=f"bench-{n}", handle=f"Bench{n}"))
    hashed = hash_password(PASSWORD)
    for n in range(1, AGENTS + 1):
        db.session.add(User(email=f"bench{n}@bench.care", name=f"bench{n}", role="agent",
                            password_hash=hashed))
    db.session.commit()


def _fill(db: Any, threads: int) -> None:
    """Authors, threads and messages with SQL generation, indexes built after the rows."""
    from app.models import Message, Thread
    from app.models.thread import NO_DUE
    from tone.types import CATEGORIES

    dialect = db.engine.dialect.name
    bind = db.engine
    indexes = [*db.metadata.tables[Thread.__tablename__].indexes,
               *db.metadata.tables[Message.__tablename__].indexes]
    for index in indexes:  # a bulk load then one sort per index: far faster than row by row
        index.drop(bind)
    authors = max(1, threads * 3 // 10)
    first_user = int(db.session.execute(text("SELECT min(id) FROM users")).scalar())
    first_channel = int(db.session.execute(text("SELECT min(id) FROM channels")).scalar())
    start = datetime.combine(_TODAY - timedelta(days=DAYS - 1), datetime.min.time(), UTC)
    span = DAYS * 86400
    params: dict[str, Any] = {"threads": threads, "authors": authors, "span": span,
                              "now": _NOW.replace(tzinfo=None).isoformat(" "),
                              "start": start.replace(tzinfo=None).isoformat(" "),
                              "no_due": NO_DUE.replace(tzinfo=None).isoformat(" ")}
    if dialect == "postgresql":
        params.update(now=_NOW, start=start, no_due=NO_DUE)
        db.session.execute(text("SET LOCAL synchronous_commit = off"))
    db.session.execute(text(f"""
        INSERT INTO authors (id, network, platform_id, handle, display_name, followers,
                             segment, created_at, updated_at)
        SELECT g, CASE WHEN g % 2 = 0 THEN 'x' ELSE 'facebook' END, 'bench-a' || g,
               'user' || g, 'User ' || g, {_h(0, 5000)},
               CASE WHEN g % 7 = 0 THEN 'professional' ELSE 'private' END,
               {_ts(dialect, 'start', '0')}, {_ts(dialect, 'start', '0')}
        FROM {_series(dialect, 'authors')}"""), params)
    # Position in time: g / threads of the span (thread 1 the oldest).
    opened = _ts(dialect, "start", "(g * 1.0 / :threads) * :span")
    recent = "(g * 100 > :threads * 89)"  # the newest 11 %
    status = (f"CASE WHEN g = {LONG_THREAD} THEN 'open' WHEN {recent} THEN "
              f"(CASE WHEN {_h(1, 100)} < 35 THEN 'new' WHEN {_h(1, 100)} < 60 THEN 'open' "
              f"WHEN {_h(1, 100)} < 85 THEN 'waiting' WHEN {_h(1, 100)} < 95 THEN 'resolved' "
              f"ELSE 'closed' END) "
              f"ELSE (CASE WHEN {_h(1, 100)} < 1 THEN 'open' WHEN {_h(1, 100)} < 31 "
              f"THEN 'resolved' ELSE 'closed' END) END")
    bits, names = _urgency_columns()
    categories = "CASE " + " ".join(
        f"WHEN {i} THEN '{c}'" for i, c in enumerate(CATEGORIES)) + " END"
    db.session.execute(text(f"""
        INSERT INTO threads (id, channel_id, author_id, origin_platform_id, subject, status,
                             visibility, assignee_id, priority, category, language, sentiment,
                             urgency, urgency_bits, created_at, last_message_at,
                             first_response_at, resolved_at, first_response_due,
                             resolution_due, sla_due, version)
        SELECT g, channel_id, author_id, 'bench-t' || g, 'Bench thread ' || g, status,
               'public', assignee_id, priority, category, language, sentiment,
               {'CAST(' if dialect == 'postgresql' else ''}{names.format(bits='bits')}
               {' AS json)' if dialect == 'postgresql' else ''}, bits,
               opened, last_at,
               CASE WHEN status = 'new' THEN NULL ELSE last_at END,
               CASE WHEN status IN ('resolved', 'closed') THEN last_at END,
               CASE WHEN status IN ('resolved', 'closed') THEN NULL ELSE due END,
               CASE WHEN status IN ('resolved', 'closed') THEN NULL ELSE due END,
               CASE WHEN status IN ('resolved', 'closed') THEN
                   {'CAST(:no_due AS timestamptz)' if dialect == 'postgresql'
                    else ':no_due || ' + repr('.000000')}
                   ELSE due END, 1
        FROM (SELECT g, {first_channel} + {_h(2, CHANNELS)} AS channel_id,
                     1 + {_h(6, 10**9)} % :authors AS author_id, {status} AS status,
                     CASE WHEN g % 2 = 0 THEN NULL ELSE {first_user} + (g / 2) % {AGENTS} END
                         AS assignee_id,
                     {bits} AS bits,
                     CASE WHEN {bits} > 0 THEN 75 + {_h(0, 25)} ELSE {_h(0, 70)} END
                         + {_h(1, 1000)} / 1000.0 AS priority,
                     {categories.replace('CASE ', 'CASE ' + _h(4, len(CATEGORIES)) + ' ', 1)}
                         AS category,
                     CASE WHEN {_h(5, 100)} < 60 THEN 'fr' WHEN {_h(5, 100)} < 95 THEN 'en'
                          ELSE NULL END AS language,
                     ({_h(6, 201)} - 100) / 100.0 AS sentiment,
                     {opened} AS opened,
                     {_ts(dialect, 'start', f'(g * 1.0 / :threads) * :span + {_h(7, 7200)}')}
                         AS last_at,
                     {_ts(dialect, 'now', f'({_h(2, 2880)} - 480) * 60')} AS due
              FROM {_series(dialect, 'threads')}) AS t"""), params)
    # Two messages per thread (a customer's, an agent's answer), and thread 1's long history.
    msg_time = _ts(dialect, "start", "(t * 1.0 / :threads) * :span + (g % 2) * 900")
    db.session.execute(text(f"""
        INSERT INTO messages (id, thread_id, channel_id, platform_id, direction, kind,
                              visibility, text, author_id, agent_id, platform_created_at,
                              received_at, language, polarity, urgency, pii, attachments,
                              hidden, deleted, edit_history, send_state, send_attempts,
                              sent_at, is_acknowledgement)
        SELECT g, t, {first_channel} + (t % {CHANNELS}), 'bench-m' || g,
               CASE WHEN g % 2 = 0 THEN 'out' ELSE 'in' END, 'mention', 'public',
               'Bonjour, ma commande n''est toujours pas arrivée, pouvez-vous regarder ? '
                   || g,
               CASE WHEN g % 2 = 0 THEN NULL ELSE 1 + (t % :authors) END,
               CASE WHEN g % 2 = 0 THEN {first_user} + (t % {AGENTS}) END,
               {msg_time}, {msg_time}, 'fr', 0.0,
               {"CAST('[]' AS json)" if dialect == 'postgresql' else "'[]'"},
               {"CAST('[]' AS json)" if dialect == 'postgresql' else "'[]'"},
               {"CAST('[]' AS json)" if dialect == 'postgresql' else "'[]'"},
               false, false,
               {"CAST('[]' AS json)" if dialect == 'postgresql' else "'[]'"},
               CASE WHEN g % 2 = 0 THEN 'sent' END, CASE WHEN g % 2 = 0 THEN 1 ELSE 0 END,
               CASE WHEN g % 2 = 0 THEN {msg_time} END, false
        FROM (SELECT g, (g + 1) / 2 AS t FROM {_series(dialect, 'messages')}) AS m"""),
        {**params, "messages": 2 * threads})
    long_time = _ts(dialect, "now", f"(g - {LONG_MESSAGES}) * 600")
    db.session.execute(text(f"""
        INSERT INTO messages (id, thread_id, channel_id, platform_id, direction, kind,
                              visibility, text, author_id, agent_id, platform_created_at,
                              received_at, urgency, pii, attachments, hidden, deleted,
                              edit_history, send_state, send_attempts, sent_at,
                              is_acknowledgement)
        SELECT :base + g, {LONG_THREAD}, {first_channel}, 'bench-long-' || g,
               CASE WHEN g % 2 = 0 THEN 'out' ELSE 'in' END, 'mention', 'public',
               'Message ' || g || ' of a very long conversation about a parcel.',
               CASE WHEN g % 2 = 0 THEN NULL ELSE 1 END,
               CASE WHEN g % 2 = 0 THEN {first_user} END, {long_time}, {long_time},
               {"CAST('[]' AS json)" if dialect == 'postgresql' else "'[]'"},
               {"CAST('[]' AS json)" if dialect == 'postgresql' else "'[]'"},
               {"CAST('[]' AS json)" if dialect == 'postgresql' else "'[]'"},
               false, false,
               {"CAST('[]' AS json)" if dialect == 'postgresql' else "'[]'"},
               CASE WHEN g % 2 = 0 THEN 'sent' END, 0,
               CASE WHEN g % 2 = 0 THEN {long_time} END, false
        FROM {_series(dialect, 'n')} WHERE g > 2"""),
        {**params, "base": 2 * threads, "n": LONG_MESSAGES})
    db.session.execute(text(
        f"UPDATE threads SET last_message_at = {_ts(dialect, 'now', '0')}, "
        f"sla_due = {_ts(dialect, 'now', '3600')} WHERE id = {LONG_THREAD}"), params)
    if dialect == "postgresql":
        for table in ("authors", "threads", "messages"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT max(id) FROM {table}))"))
    db.session.commit()
    if dialect == "postgresql":
        db.session.execute(text("SET maintenance_work_mem = '256MB'"))
    for index in indexes:
        index.create(bind)
    db.session.commit()


def build(url: str, threads: int = THREADS) -> None:
    """Make the bench database at ``url`` hold ``threads`` threads (twice as many messages,
    one thread of 500), unless it already does with the models' schema; then ANALYZE."""
    app = _app(url)
    from app.extensions import db

    if url.startswith("postgres"):
        _ensure_database(url)
    with app.app_context():
        if _current(db, threads):
            return
        _reset(db)
        _base_rows(db)
        _fill(db, threads)
        if db.engine.dialect.name == "postgresql":
            # As autovacuum leaves a settled table: statistics, and the visibility map that
            # lets the counts read their index alone (an index-only scan).
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
        db.session.execute(text(
            "CREATE TABLE bench_inbox_meta (schema_hash VARCHAR(32), threads INTEGER)"))
        db.session.execute(text("INSERT INTO bench_inbox_meta VALUES (:h, :n)"),
                           {"h": _schema_hash(db), "n": threads})
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def thread_page_of(path: str) -> Any:
    """``queries.thread_page`` as a thread page's path asks for it (``?messages=all``)."""
    from app.inbox import queries

    parts = urlsplit(path)
    every = dict(parse_qsl(parts.query)).get("messages") == "all"
    return queries.thread_page(int(parts.path.rsplit("/", 1)[1]),
                               None if every else queries.LATEST_MESSAGES)


def _app(url: str) -> Any:
    from cryptography.fernet import Fernet

    from app import create_app

    app = create_app({"ENV": "testing", "SECRET_KEY": "bench-secret", "DATABASE_URL": url,
                      "FERNET_KEYS": [Fernet.generate_key().decode()], "SANDBOX": False,
                      "SCHEDULER_IN_WEB": False})
    return app


def _ensure_database(url: str) -> None:
    """Create the bench's database on a server that does not have it yet."""
    import sqlalchemy as sa

    from app import _database_uri

    target = sa.make_url(_database_uri(url))
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                 {"n": target.database})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def pick_url() -> str:
    """PostgreSQL when reachable (``BENCH_INBOX_URL``), else the SQLite file."""
    import sqlalchemy as sa

    from app import _database_uri

    url = os.environ.get("BENCH_INBOX_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        return url
    engine = sa.create_engine(
        sa.make_url(_database_uri(url)).set(database="postgres"),
        connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return url
    except sa.exc.OperationalError:
        SQLITE_PATH.parent.mkdir(exist_ok=True)
        return f"sqlite:///{SQLITE_PATH}"
    finally:
        engine.dispose()


# --- measuring ---------------------------------------------------------------------------

def filters_of(path: str, me: int) -> Any:
    """The inbox filters a case's path stands for (parsed by the app itself)."""
    from werkzeug.datastructures import MultiDict

    from app.inbox.queries import InboxFilters

    return InboxFilters.from_args(MultiDict(parse_qsl(urlsplit(path).query)), me=me)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


class _Capture:
    """The SELECT statements the app sends while listening (SQL text and parameters)."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any,
                 _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM brands" not in statement:
            self.statements.append((statement, parameters))


def _run(path: str, me: int) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]], int]:
    """Run a case through the app's own functions once: the list's SQL (the list query, or
    the thread page's), the counts' SQL, and how many rows the page shows."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.inbox import queries

    listed, counted = _Capture(), _Capture()
    db.session.remove()
    if path.startswith("/inbox/threads/"):
        sa.event.listen(db.engine, "before_cursor_execute", listed)
        try:
            page = thread_page_of(path)
            shown = len(page.messages) if page else 0
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listed)
        return listed.statements, [], shown
    filters = filters_of(path, me)
    after = dict(parse_qsl(urlsplit(path).query)).get("after")
    sa.event.listen(db.engine, "before_cursor_execute", listed)
    try:
        rows, _next = queries.list_threads(filters, after, 50)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listed)
    sa.event.listen(db.engine, "before_cursor_execute", counted)
    try:
        queries.status_counts(filters)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", counted)
    return listed.statements, counted.statements, len(rows)


def _timed(conn: Any, statements: list[tuple[str, Any]]) -> float:
    """Milliseconds to run the statements and fetch every row (the driver, no ORM)."""
    began = time.perf_counter()
    for sql, params in statements:
        conn.exec_driver_sql(sql, params).fetchall()
    return (time.perf_counter() - began) * 1000


def _server(conn: Any, statements: list[tuple[str, Any]]) -> float:
    """PostgreSQL's own execution time of the statements (EXPLAIN ANALYZE), milliseconds."""
    total = 0.0
    for sql, params in statements:
        raw = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).scalar()
        total += float(raw[0]["Execution Time"])
    return total


Result = tuple[str, int, list[float], list[float], list[float], list[float]]


def _measure(db: Any, repeat: int, me: int) -> list[Result]:
    """Per case: the list's raw SQL time, the tab counts' raw SQL time, the server's
    execution time of the list (PostgreSQL), and the app's ``list_threads`` call."""
    from app.inbox import queries

    postgres = db.engine.dialect.name == "postgresql"
    results: list[Result] = []
    for name, path in CASES:
        listed, counted, shown = _run(path, me)
        lists: list[float] = []
        counts: list[float] = []
        server: list[float] = []
        app_calls: list[float] = []
        with db.engine.connect() as conn:
            for run in range(repeat + 2):  # two warm-up runs (caches)
                list_ms = _timed(conn, listed)
                count_ms = _timed(conn, counted)
                server_ms = _server(conn, listed) if postgres else 0.0
                if run >= 2:
                    lists.append(list_ms)
                    counts.append(count_ms)
                    server.append(server_ms)
        if not path.startswith("/inbox/threads/"):
            filters = filters_of(path, me)
            after = dict(parse_qsl(urlsplit(path).query)).get("after")
            for run in range(repeat + 2):
                db.session.remove()
                began = time.perf_counter()
                queries.list_threads(filters, after, 50)
                if run >= 2:
                    app_calls.append((time.perf_counter() - began) * 1000)
        results.append((name, shown, lists, counts, server, app_calls))
    return results


def main(argv: list[str] | None = None) -> int:
    """Build (or reuse) the database, print each case's SQL times beside the target."""
    parser = argparse.ArgumentParser(prog="python -m bench inbox", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=THREADS,
                        help="threads to generate (1,000,000; fewer for a quick run)")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per case")
    parser.add_argument("--rebuild", action="store_true", help="rebuild even if current")
    args = parser.parse_args(argv)
    url = pick_url()
    print(f"inbox bench on {url.split('@')[-1]}: {args.threads} threads", flush=True)
    if args.rebuild:
        app = _app(url)
        from app.extensions import db

        if url.startswith("postgres"):
            _ensure_database(url)
        with app.app_context():
            db.session.execute(text("DROP TABLE IF EXISTS bench_inbox_meta"))
            db.session.commit()
            db.engine.dispose()
    began = time.perf_counter()
    build(url, args.threads)
    print(f"database ready in {time.perf_counter() - began:.0f}s", flush=True)
    app = _app(url)
    from app.extensions import db

    with app.test_request_context():
        counts = db.session.execute(text(
            "SELECT (SELECT count(*) FROM threads), (SELECT count(*) FROM messages), "
            "(SELECT count(*) FROM threads WHERE status IN ('new', 'open', 'waiting'))"
        )).one()
        print(f"data: {counts[0]} threads ({counts[2]} active), {counts[1]} messages",
              flush=True)
        me = int(db.session.execute(text(
            "SELECT id FROM users WHERE email = 'bench1@bench.care'")).scalar_one())
        load = os.getloadavg()[0]
        results = _measure(db, args.repeat, me)
    print(f"load average {load:.2f} on {os.cpu_count()} cores at the start; "
          f"{args.repeat} runs per case; milliseconds, p50 / p99")
    print(f"{'case':<44} {'rows':>4} {'list SQL':>15} {'server':>6} {'tab counts SQL':>15} "
          f"{'list_threads()':>15}  target list SQL <= {TARGET_LIST_MS:g} ms")
    over = 0
    lists_total = 0

    def pair(values: list[float]) -> str:
        if not values:
            return "-"
        return f"{statistics.median(values):6.1f} /{_percentile(values, 0.99):6.1f}"

    for name, shown, lists, counted, server, app_calls in results:
        page = not app_calls  # the thread page: no list target of its own
        verdict = "(page: serving bench)"
        if not page:
            lists_total += 1
            ok = _percentile(lists, 0.99) <= TARGET_LIST_MS
            over += not ok
            verdict = "ok" if ok else "OVER"
        server_text = f"{statistics.median(server):6.1f}" if any(server) else "-"
        counts_text = pair(counted) if not page else "-"
        print(f"{name:<44} {shown:>4} {pair(lists):>15} {server_text:>6} {counts_text:>15} "
              f"{pair(app_calls):>15}  {verdict}")
    print(f"{lists_total - over} of {lists_total} list queries within target (p99)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
