"""Dashboard server time over a large PostgreSQL history, and the rollup upkeep's cost.

What it builds (in the database of ``BENCH_DASHBOARD_URL``, default
``postgresql://postgres@127.0.0.1:5432/care_bench_dashboard``, created when missing; the
tables are dropped and recreated):

* one brand with 20 channels and two years of rollup rows (20 x 731 rows), with counts of
  the issue's size: 10 million messages and 3 million threads in all, written with SQL
  ``generate_series`` (the dashboard reads only these rows);
* with ``--raw`` (default 10,000,000 messages; ``--raw 0`` skips it), the raw tables too:
  ``raw / 3.33`` threads and ``raw`` messages over the same two years and channels, so that
  the upkeep's reads (the messages of one channel and day, by index) run against tables of
  the issue's size.

What it measures:

* the dashboard's server time (the Flask request through the test client: parsing, the three
  grouped SUMs, the template with its 731-row day table and chart data) for random ranges
  (1 day to 2 years) and channels (one or all): p50 and p99 against the target p99 <= 300 ms;
* the upkeep's cost per ingested mention: new mentions (with an agent reply each) are added,
  then one run of the job (``app.dashboard.upkeep.refresh``) is timed; cost = run time /
  mentions.

    python -m bench dashboard [--raw N] [--requests N] [--mentions N] [--keep]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

TARGET_P99_MS = 300.0
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/care_bench_dashboard"
CHANNELS = 20
DAYS = 731
THREADS_TOTAL = 3_000_000
MESSAGES_TOTAL = 10_000_000


def _app(url: str) -> Any:
    from cryptography.fernet import Fernet

    from app import create_app

    app = create_app({"ENV": "testing", "SECRET_KEY": "bench-secret", "DATABASE_URL": url,
                      "FERNET_KEYS": [Fernet.generate_key().decode()], "SANDBOX": False,
                      "SCHEDULER_IN_WEB": False, "LOGIN_RATE_LIMIT": "100000 per minute"})
    app.config["WTF_CSRF_ENABLED"] = False
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
    except sa.exc.OperationalError:
        pass  # no server: main() says so
    finally:
        admin.dispose()


def _schema(db: Any) -> None:
    db.drop_all()
    db.create_all()


def _base_rows(db: Any, today: date) -> None:
    from app.auth.passwords import hash_password
    from app.models import Brand, Channel, User

    brand = Brand(name="Bench", slug="bench", timezone="Europe/Paris", settings={})
    db.session.add(brand)
    for n in range(CHANNELS):
        network = "x" if n % 2 == 0 else "facebook"
        db.session.add(Channel(brand=brand, network=network, name=f"{network} {n + 1}",
                               account_id=f"bench-{n}", handle=f"Bench{n}"))
    db.session.add(User(email="brand@bench.care", name="Bench Brand", role="brand",
                        password_hash=hash_password("bench password 123")))
    db.session.commit()


def _rollups(db: Any, today: date) -> int:
    """Two years x 20 channels of rollup rows whose totals match the issue's volumes."""
    from app.dashboard import metrics

    per_row_threads = THREADS_TOTAL / (CHANNELS * DAYS)  # ~205
    per_row_mentions = MESSAGES_TOTAL * 0.6 / (CHANNELS * DAYS)  # inbound share ~ 60%
    columns: dict[str, str] = {
        "threads": "(r.t)::int",
        "mentions": f"(r.t * {per_row_mentions / per_row_threads:.3f})::int",
        "excluded": "(r.t * 0.02)::int",
        "answered": "(r.t * 0.9)::int",
        "moved": "(r.t * 0.12)::int",
        "loop_closed": "(r.t * 0.07)::int",
        "frt_n": "(r.t * 0.9)::int",
        "frtb_n": "(r.t * 0.9)::int",
        "sla_first_n": "(r.t * 0.95)::int",
        "sla_first_met": "(r.t * 0.8)::int",
        "sla_res_n": "(r.t * 0.9)::int",
        "sla_res_met": "(r.t * 0.85)::int",
        "polarity_n": "(r.t * 1.6)::int",
        "negative": "(r.t * 0.4)::int",
        "sv_sent": "(r.t * 0.5)::int",
        "sv_answered": "(r.t * 0.18)::int",
    }
    shape = [0.05, 0.07, 0.08, 0.1, 0.12, 0.1, 0.1, 0.09, 0.07, 0.06, 0.05, 0.04, 0.03,
             0.02, 0.01, 0.005, 0.003, 0.002]
    for i, share in enumerate(shape):
        columns[f"frt_h{i}"] = f"(r.t * 0.9 * {share})::int"
        columns[f"frtb_h{i}"] = f"(r.t * 0.9 * {share * 1.1 if i < 8 else share * 0.8})::int"
    for i, category in enumerate(metrics.CATEGORIES):
        columns[f"cat_{category}"] = f"(r.t * {0.2 if i == 4 else 0.1})::int"
    for flag in metrics.URGENCY_FLAGS:
        columns[f"urg_{flag}"] = "(r.t * 0.01)::int"
    for q in metrics.QUESTIONS:
        for s, share in zip(range(1, 6), (0.1, 0.1, 0.2, 0.3, 0.3), strict=True):
            columns[f"sv_{q}_{s}"] = f"(r.t * 0.18 * {share})::int"
    names = ", ".join(columns)
    values = ", ".join(columns.values())
    rest = [c for c in metrics.COUNT_COLUMNS if c not in columns]
    rest_names = (", " + ", ".join(rest)) if rest else ""
    rest_values = (", " + ", ".join("0" for _ in rest)) if rest else ""
    db.session.execute(text(f"""
        INSERT INTO dashboard_day_rollups (brand_id, channel_id, day, polarity_sum, updated_at,
                                           {names}{rest_names})
        SELECT 1, r.c, r.d, r.t * 1.6 * 0.05, now(), {values}{rest_values}
        FROM (SELECT c, d, greatest(1, round({per_row_threads} * (0.6 + 0.8 * random())
                                             * (CASE WHEN extract(isodow FROM d) >= 6
                                                     THEN 0.6 ELSE 1.15 END))) AS t
              FROM generate_series(1, {CHANNELS}) AS c,
                   generate_series(CAST(:first AS date), CAST(:last AS date),
                                   interval '1 day') AS d) AS r
    """), {"first": today - timedelta(days=DAYS - 1), "last": today})
    sums = ", ".join(f"sum({c})" for c in metrics.SUM_COLUMNS)
    db.session.execute(text(f"""
        INSERT INTO dashboard_month_rollups (brand_id, channel_id, month, updated_at,
                                             {", ".join(metrics.SUM_COLUMNS)})
        SELECT brand_id, channel_id, date_trunc('month', day)::date, now(), {sums}
        FROM dashboard_day_rollups GROUP BY 1, 2, 3"""))
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return int(db.session.execute(text("SELECT count(*) FROM dashboard_day_rollups")).scalar())


def _raw(db: Any, messages: int, today: date) -> tuple[int, int, float]:
    """``messages`` raw messages on ``messages / 3.33`` threads over two years (SQL only)."""
    threads = max(1, int(messages * 0.3))
    authors = max(1, threads // 6)
    start = datetime.combine(today - timedelta(days=DAYS - 1), datetime.min.time(), UTC)
    span = DAYS * 86400
    began = time.perf_counter()
    db.session.execute(text("""
        INSERT INTO authors (id, network, platform_id, handle, segment, created_at, updated_at)
        SELECT g, 'x', 'bench-' || g, 'user' || g,
               CASE WHEN g % 5 = 0 THEN 'professional' ELSE 'private' END, now(), now()
        FROM generate_series(1, :n) AS g"""), {"n": authors})
    db.session.execute(text("""
        INSERT INTO threads (id, channel_id, author_id, origin_platform_id, subject, status,
                             visibility, priority, category, language, urgency, created_at,
                             last_message_at, first_response_at, resolved_at, sla_due,
                             version)
        SELECT g, 1 + g % :channels, 1 + g % :authors, 'bench-t' || g, '', 'resolved',
               'public', 40, 'delivery', 'fr', '[]'::json,
               :start + make_interval(secs => (g::float8 / :threads) * :span),
               :start + make_interval(secs => (g::float8 / :threads) * :span + 1800),
               :start + make_interval(secs => (g::float8 / :threads) * :span + 900),
               :start + make_interval(secs => (g::float8 / :threads) * :span + 7200),
               '9000-01-01', 1
        FROM generate_series(1, :threads) AS g"""),
        {"channels": CHANNELS, "authors": authors, "threads": threads, "start": start,
         "span": span})
    db.session.execute(text("""
        INSERT INTO messages (id, thread_id, channel_id, platform_id, direction, kind,
                              visibility, text, platform_created_at, received_at, urgency, pii,
                              send_attempts, is_acknowledgement, polarity, send_state, sent_at,
                              attachments, hidden, deleted, edit_history)
        SELECT g, t, 1 + t % :channels, 'bench-m' || g,
               CASE WHEN g % 10 IN (1, 4, 7) THEN 'out' ELSE 'in' END,
               'mention', 'public', 'bench message',
               :start + make_interval(secs => (t::float8 / :threads) * :span + (g % 10) * 600),
               :start + make_interval(secs => (t::float8 / :threads) * :span + (g % 10) * 600),
               '[]'::json, '[]'::json, 0, false, (random() * 2 - 1)::float8,
               CASE WHEN g % 10 IN (1, 4, 7) THEN 'sent' END,
               CASE WHEN g % 10 IN (1, 4, 7) THEN
                   :start + make_interval(secs => (t::float8 / :threads) * :span + (g % 10) * 600)
               END,
               '[]'::json, false, false, '[]'::json
        FROM (SELECT g, 1 + ((g - 1) * 3) / 10 AS t FROM generate_series(1, :n) AS g) AS s
        WHERE t <= :threads"""),
        {"channels": CHANNELS, "threads": threads, "start": start, "span": span,
         "n": messages})
    for table in ("authors", "threads", "messages"):
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))"))
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    count = int(db.session.execute(text("SELECT count(*) FROM messages")).scalar())
    return threads, count, time.perf_counter() - began


def _requests(app: Any, n: int, today: date, seed: int = 7) -> tuple[list[float], list[float]]:
    client = app.test_client()
    response = client.post("/login", data={"email": "brand@bench.care",
                                           "password": "bench password 123"})
    assert response.status_code == 302, response.status_code
    rng = random.Random(seed)
    urls = []
    for i in range(n):
        length = rng.choice([1, 7, 30, 31, 90, 365, DAYS]) if i % 4 else DAYS
        end = today - timedelta(days=rng.randint(0, DAYS - length))
        start = end - timedelta(days=length - 1)
        channel = "" if rng.random() < 0.5 else str(rng.randint(1, CHANNELS))
        urls.append(f"/dashboard?brand=bench&start={start}&end={end}&channel={channel}")
    for url in urls[:5]:  # warm-up: templates compiled, pool filled
        assert client.get(url).status_code == 200
    times, cpu = [], []
    for url in urls:
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return times, cpu


def _upkeep_cost(app: Any, db: Any, mentions: int) -> tuple[float, float, int]:
    """Seconds of one upkeep run after ``mentions`` new mentions (each answered once)."""
    from app.dashboard import upkeep
    from app.models import AuditEvent, Author, Channel, DashboardWatermark, Message, Thread, utcnow

    # The job is up to date with the generated set: its watermark starts at the top.
    now = utcnow()
    db.session.merge(DashboardWatermark(
        name=upkeep.JOB_NAME, run_at=now, survey_id=0,
        message_id=db.session.scalar(db.select(db.func.max(Message.id))) or 0,
        audit_id=db.session.scalar(db.select(db.func.max(AuditEvent.id))) or 0))
    db.session.commit()
    channels = list(db.session.scalars(db.select(Channel)))
    rng = random.Random(3)
    run = int(time.time())  # --keep reruns on the same tables: new platform ids each run
    for i in range(mentions):
        channel = channels[i % len(channels)]
        author = Author(network=channel.network, platform_id=f"new-{run}-{i}", handle=f"new{i}",
                        segment="private")
        at = now - timedelta(minutes=rng.randint(5, 600))
        thread = Thread(channel=channel, author=author, origin_platform_id=f"new-{run}-{i}",
                        created_at=at, last_message_at=at, category="delivery", urgency=[])
        db.session.add_all([author, thread, Message(
            thread=thread, channel_id=channel.id, platform_id=f"new-in-{run}-{i}", direction="in",
            kind="mention", visibility="public", text="where is my parcel", polarity=-0.2,
            platform_created_at=at, received_at=at)])
        if i % 2 == 0:
            reply = at + timedelta(minutes=rng.randint(1, 90))
            db.session.add(Message(
                thread=thread, channel_id=channel.id, platform_id=f"new-out-{run}-{i}",
                direction="out", kind="reply", visibility="public", text="on it",
                platform_created_at=reply, received_at=reply, send_state="sent",
                sent_at=reply))
    db.session.commit()
    began, began_cpu = time.perf_counter(), time.process_time()
    report = upkeep.refresh()
    return time.perf_counter() - began, time.process_time() - began_cpu, report.rows


def main(argv: list[str] | None = None) -> int:
    """Build the data set, print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench dashboard", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw", type=int, default=MESSAGES_TOTAL,
                        help="raw messages to generate (0: rollups only)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--mentions", type=int, default=1000)
    parser.add_argument("--keep", action="store_true",
                        help="reuse the data already in the database")
    args = parser.parse_args(argv)
    url = os.environ.get("BENCH_DASHBOARD_URL", DEFAULT_URL)
    if not url.startswith("postgresql"):
        print("dashboard bench: PostgreSQL only (BENCH_DASHBOARD_URL)")
        return 0
    _ensure_database(url)
    app = _app(url)
    from app.dashboard.queries import today_of
    from app.extensions import db
    from app.models import Brand

    with app.app_context():
        try:
            db.session.execute(text("SELECT 1"))
        except Exception as exc:  # no server: say so, do not fail the whole bench run
            print(f"dashboard bench: skipped, no PostgreSQL at {url} ({type(exc).__name__})")
            return 0
        brand = None
        if args.keep:
            try:
                brand = db.session.scalar(db.select(Brand).filter_by(slug="bench"))
            except Exception:  # no schema yet
                db.session.rollback()
        if brand is None:
            _schema(db)
            today = datetime.now(UTC).date()
            _base_rows(db, today)
            began = time.perf_counter()
            rows = _rollups(db, today)
            print(f"rollups: {rows} rows (20 channels x {DAYS} days) in "
                  f"{time.perf_counter() - began:.1f}s", flush=True)
            if args.raw:
                threads, messages, seconds = _raw(db, args.raw, today)
                print(f"raw tables: {threads} threads, {messages} messages over {DAYS} days "
                      f"and {CHANNELS} channels in {seconds:.0f}s", flush=True)
            brand = db.session.scalar(db.select(Brand).filter_by(slug="bench"))
        assert brand is not None
        today = today_of(brand)
        totals = db.session.execute(text(
            "SELECT sum(threads), sum(mentions) FROM dashboard_day_rollups")).one()
        raw = db.session.execute(text("SELECT count(*) FROM messages")).scalar()
        print(f"data set: rollups totalling {totals[0]} threads and {totals[1]} inbound "
              f"mentions; {raw} raw messages", flush=True)
        db.session.remove()
    load_before = os.getloadavg()[0]
    times, cpu = _requests(app, args.requests, today)
    p50 = statistics.median(times)
    p99 = sorted(times)[max(0, int(len(times) * 0.99) - 1)]
    ok = p99 <= TARGET_P99_MS
    print(f"dashboard server time over {len(times)} requests (ranges 1 day to 2 years, one "
          f"channel or all): p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {max(times):.0f} ms "
          f"[target p99 <= {TARGET_P99_MS:.0f} ms: {'met' if ok else 'MISSED'}]", flush=True)
    cpu_p99 = sorted(cpu)[max(0, int(len(cpu) * 0.99) - 1)]
    print(f"  web process CPU per request: p50 {statistics.median(cpu):.0f} ms, p99 "
          f"{cpu_p99:.0f} ms; machine load average {load_before:.1f} -> "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall time includes waiting "
          f"for a core)", flush=True)
    with app.app_context():
        seconds, cpu_seconds, rows = _upkeep_cost(app, db, args.mentions)
        print(f"rollup upkeep: {args.mentions} new mentions (half answered) settled by one job "
              f"run in {seconds * 1000:.0f} ms ({rows} rollup rows rewritten) = "
              f"{seconds / args.mentions * 1000:.2f} ms per ingested mention (the job's CPU: "
              f"{cpu_seconds / args.mentions * 1000:.2f} ms per mention; load average "
              f"{os.getloadavg()[0]:.1f})", flush=True)
        db.session.remove()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
