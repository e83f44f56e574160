"""The tone committee: the monthly draw at scale, and the review pages' server time.

    python -m bench review [--replies 200000] [--agents 300] [--requests 200]

Builds a month of replies (default 200,000 by 300 agents, public and private, X and
Facebook, some with humour markers) and times:

* the draw: reading the month's candidate replies, the humour detector on each, and the
  stratified draw (``services.candidates`` + ``draw.draw``);
* opening the review end to end (the draw, plus storing the sample and the aids of each
  sampled reply: polarity, subjectivity, personal data, humour markers);
* the server time of the review page and of the scoring page (p50, p99 over the requests),
  through the app's own request handling.

Targets: draw under 5 s on PostgreSQL; review page p99 under 50 ms. PostgreSQL is used when
DATABASE_URL names one (its tables are dropped and created: give it a database of its own),
else SQLite in a temporary folder.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet

DRAW_TARGET_S = 5.0
PAGE_TARGET_MS = 50.0
MONTH = "2026-11"
TEXTS = [
    "Bonjour, votre colis arrive demain. ^{sig}",
    "Hi, we've checked: the refund left this morning. ^{sig}",
    "Merci pour votre patience, on regarde avec le transporteur. ^{sig}",
    "Sorry about that, a fix ships tonight. ^{sig}",
    "Haha, la modération a la main lourde 😉 on relit votre annonce. ^{sig}",
    "Avec plaisir ! ^{sig}",
    "LOL our bot is overzealous today, we're on it :) ^{sig}",
    "Le virement part 48 h après la confirmation de réception. ^{sig}",
]


def _app(database_url: str) -> Any:
    from app import create_app

    app = create_app({"ENV": "testing", "SECRET_KEY": "bench", "DATABASE_URL": database_url,
                      "FERNET_KEYS": [Fernet.generate_key().decode()], "REDIS_URL": "",
                      "SANDBOX": False, "SCHEDULER_IN_WEB": False})
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def _populate(replies: int, agents: int) -> tuple[int, list[Any]]:
    """Users, a brand, two channels, threads and the month's replies; returns the brand id."""
    from app.auth.passwords import hash_password
    from app.extensions import db
    from app.models import Author, Brand, Channel, Message, Thread, User

    rng = random.Random(18)
    password = hash_password("bench password")
    brand = Brand(name="Bench", slug="bench", timezone="Europe/Paris", settings={})
    db.session.add(brand)
    channels = [Channel(brand=brand, network=n, name=n, account_id=f"bench-{n}")
                for n in ("x", "facebook")]
    db.session.add_all(channels)
    users = [User(email=f"agent{i}@bench.care", name=f"Agent {i:03d}", role="agent",
                  password_hash=password) for i in range(agents)]
    supervisor = User(email="sup@bench.care", name="Supervisor", role="supervisor",
                      password_hash=password)
    db.session.add_all([*users, supervisor])
    author = Author(network="x", platform_id="bench-author", handle="customer",
                    display_name="Customer", segment="private")
    db.session.add(author)
    db.session.flush()
    start = datetime(2026, 11, 1, 8, tzinfo=UTC)
    threads = []
    for i in range(2000):
        channel = channels[i % 2]
        threads.append(Thread(channel_id=channel.id, author_id=author.id,
                              origin_platform_id=f"t{i}", subject="Question",
                              category="delivery", created_at=start, last_message_at=start))
    db.session.add_all(threads)
    db.session.commit()
    thread_rows = [(t.id, t.channel_id) for t in threads]
    table = Message.__table__
    columns = ("thread_id", "channel_id", "platform_id", "direction", "kind", "visibility",
               "text", "agent_id", "platform_created_at", "received_at", "sent_at",
               "send_state", "send_attempts", "is_acknowledgement", "urgency", "pii",
               "attachments", "hidden", "deleted", "edit_history")
    rows = []
    for n in range(replies):
        thread_id, channel_id = thread_rows[rng.randrange(len(thread_rows))]
        agent = users[rng.randrange(agents)]
        at = start + timedelta(seconds=rng.randrange(27 * 86400))
        rows.append((thread_id, channel_id, f"r{n}", "out", "reply",
                     "private" if rng.random() < 0.25 else "public",
                     rng.choice(TEXTS).format(sig=agent.name.split()[-1]), agent.id, at, at,
                     at, "sent", 1, n % 50 == 0, "[]", "[]", "[]", False, False, "[]"))
    conn = db.session.connection()
    if db.engine.dialect.name == "postgresql":
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(
                f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(db.text("ANALYZE messages"))
        db.session.commit()
    return brand.id, [supervisor.id]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def run(database_url: str, replies: int, agents: int, requests: int) -> dict[str, float]:
    """Populate, then time the draw, the opening and the pages."""
    from app.extensions import db
    from app.models import Review, User
    from app.review import draw, services
    from app.triage import prepare_process

    app = _app(database_url)
    figures: dict[str, float] = {}
    with app.app_context():
        prepare_process()
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        brand_id, (supervisor_id,) = _populate(replies, agents)
        figures["populate_s"] = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        pool = services.candidates(brand_id, MONTH, "Europe/Paris")
        picks = draw.draw(pool, seed="bench", brand_id=brand_id, month=MONTH, sample_size=10)
        figures["draw_s"] = time.perf_counter() - started
        figures["draw_cpu_s"] = time.process_time() - cpu
        figures["candidates"] = len(pool)
        figures["picks"] = len(picks)
        started = time.perf_counter()
        review = services.open_review(brand_id, MONTH, seed="bench",
                                      now=datetime(2026, 12, 1, 6, tzinfo=UTC))
        figures["open_s"] = time.perf_counter() - started
        review_id = review.id
        item_ids = [item.id for item in review.items]
        assert sorted(i.message_id for i in review.items) == sorted(p.message_id for p in picks)
        email = db.session.get(User, supervisor_id).email  # type: ignore[union-attr]
        db.session.remove()
    client = app.test_client()
    client.post("/login", data={"email": email, "password": "bench password"})
    rng = random.Random(5)
    for name, paths in (("review_page", [f"/review/{review_id}"] * requests),
                        ("scoring_page", [f"/review/items/{rng.choice(item_ids)}"
                                          for _ in range(requests)])):
        for path in paths[:10]:  # warm-up: templates compiled, caches filled
            client.get(path)
        times, cpu_times = [], []
        for path in paths:
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        figures[f"{name}_p50_ms"] = statistics.median(times)
        figures[f"{name}_p99_ms"] = _percentile(times, 0.99)
        figures[f"{name}_cpu_p99_ms"] = _percentile(cpu_times, 0.99)
    with app.app_context():
        assert db.session.get(Review, review_id) is not None
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return figures


def main(argv: list[str] | None = None) -> int:
    """Print the figures beside their targets; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(prog="python -m bench review", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replies", type=int, default=200_000)
    parser.add_argument("--agents", type=int, default=300)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory() as tmp:
        if not url.startswith(("postgres://", "postgresql://")):
            url = f"sqlite:///{tmp}/bench-review.db"
        backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        f = run(url, args.replies, args.agents, args.requests)
    draw_ok = f["draw_s"] < DRAW_TARGET_S
    page_ok = f["review_page_p99_ms"] < PAGE_TARGET_MS
    out = io.StringIO()
    out.write(f"review bench on {backend}: {int(f['candidates']):,} replies by "
              f"{args.agents} agents (populated in {f['populate_s']:.1f}s), "
              f"{int(f['picks'])} drawn\n")
    out.write(f"  draw (candidates + humour + stratified draw): {f['draw_s']:6.2f} s   "
              f"target < {DRAW_TARGET_S:.0f} s   {'ok' if draw_ok else 'MISSED'}   "
              f"(this process's CPU: {f['draw_cpu_s']:.2f} s)\n")
    out.write(f"  open review (draw + store + aids per reply):  {f['open_s']:6.2f} s\n")
    out.write(f"  review page  /review/<id>:  p50 {f['review_page_p50_ms']:6.1f} ms  "
              f"p99 {f['review_page_p99_ms']:6.1f} ms   target p99 < {PAGE_TARGET_MS:.0f} ms   "
              f"{'ok' if page_ok else 'MISSED'}   (CPU p99 {f['review_page_cpu_p99_ms']:.1f} ms)\n")
    out.write(f"  scoring page /review/items/<id>: p50 {f['scoring_page_p50_ms']:6.1f} ms  "
              f"p99 {f['scoring_page_p99_ms']:6.1f} ms   (CPU p99 "
              f"{f['scoring_page_cpu_p99_ms']:.1f} ms)\n")
    load = os.getloadavg()[0]
    out.write(f"  load average at the end: {load:.1f} on {os.cpu_count()} cores "
              "(wall-clock figures stretch with it; CPU figures much less)\n")
    print(out.getvalue(), end="")
    return 0 if draw_ok and page_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
