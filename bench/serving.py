"""Serving: the inbox and thread pages over HTTP from the documented production web process.

Starts ``gunicorn -k gevent -w 1 wsgi:app`` (the README's scale-out command) on a free port
against the given database (and Redis), logs the bench agents in (``bench1``..``bench10``,
password ``bench-password``, created by ``bench inbox``'s build), connects 200 agents'
Socket.IO clients (websocket, logged in, joined to the inbox as the browser does) and keeps
them connected through every measurement, then prints beside its target:

* for each case, p50/p99 over HTTP for one agent loading pages one after another, with the
  server's own split (SQL, templates, the rest) read from its ``Server-Timing`` header
  (``CARE_SERVER_TIMING=true``, set for this process only);
* for each case, p50/p99 for ten agents each loading a page every second (10 pages/s in all,
  open loop: arrivals follow the schedule, a slow answer does not delay the next one, and a
  latency counts from the scheduled arrival);
* the pages per second one process serves to ten agents loading pages back to back;
* the web process's RSS: at start, with 200 agents connected, then every 100 of 1,000 inbox
  pages (it must level off), against the 200 MB target.

    python -m bench serving --database-url URL [--redis-url URL]

``run(database_url, redis_url, cases)`` is what ``python -m bench inbox`` calls after it has
built its million-thread database; alone, this bench uses ``bench.inbox.CASES`` when that
module exists, else a default set of inbox URLs and the longest thread in the database.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password"
AGENTS = 10
SOCKETS = 200
RSS_PAGES = 1000

#: Targets of issue 20 (milliseconds, megabytes).
ONE_AGENT_P99 = {"inbox": 30.0, "thread": 60.0}
TEN_AGENTS_P99 = {"inbox": 50.0, "thread": 100.0}
RSS_MB = 200.0

#: The documented production web process (README, "Scaling out"); the port is appended.
GUNICORN = [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", "1",
            "--worker-connections", "1000", "wsgi:app"]

DEFAULT_INBOX_CASES: list[tuple[str, str]] = [
    ("inbox, default (most urgent, active)", "/inbox"),
    ("inbox, newest", "/inbox?sort=recent"),
    ("inbox, least time left", "/inbox?sort=sla"),
    ("inbox, all statuses", "/inbox?status=all"),
]


def _kind(case: str, path: str) -> str:
    return "thread" if "/threads/" in path or case.startswith("thread") else "inbox"


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _verdict(value: float, target: float) -> str:
    return "met" if value <= target else "MISSED"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the web process ----------------------------------------------------------------------

def _worker_pid(master: int) -> int:
    """The gunicorn worker's pid (one worker: the master's only child)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("the gunicorn worker did not start")


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds ``pid`` has used (from /proc): robust on a loaded machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def web_process(database_url: str, redis_url: str) -> Iterator[tuple[str, int]]:
    """The production web process on a free port: yields (base URL, worker pid)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    from cryptography.fernet import Fernet

    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "PYTHONPATH": str(ROOT), "CARE_ENV": "development",
           "SECRET_KEY": "bench-serving-secret",
           "CARE_FERNET_KEYS": Fernet.generate_key().decode(),
           "CARE_PUBLIC_URL": url, "CARE_SERVER_TIMING": "true",
           "CARE_SCHEDULER_IN_WEB": "false", "CARE_SANDBOX": "false",
           "CARE_LOGIN_RATE_LIMIT": "100000 per minute",
           "CARE_LOGIN_ACCOUNT_LIMIT": "100000 per minute"}
    log_path = Path(tempfile.gettempdir()) / f"care-bench-serving-{port}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([*GUNICORN, "-b", f"127.0.0.1:{port}"], cwd=ROOT, env=env,
                                stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    requests.get(f"{url}/login", timeout=2)
                    break
                except requests.RequestException:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"gunicorn did not start (exit {proc.poll()}); "
                                           f"see {log_path}") from None
                    time.sleep(0.2)
            yield url, _worker_pid(proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


# --- agents --------------------------------------------------------------------------------

def bench_emails(database_url: str, count: int = AGENTS) -> list[str]:
    """The bench agents' e-mails (users named or addressed ``bench…``, agents)."""
    import sqlalchemy

    from app import _database_uri

    engine = sqlalchemy.create_engine(_database_uri(database_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(sqlalchemy.text(
                "SELECT email FROM users WHERE role = 'agent' AND"
                " (name LIKE 'bench%' OR email LIKE 'bench%') ORDER BY id LIMIT :n"),
                {"n": count}).scalars().all()
    finally:
        engine.dispose()
    if not rows:
        raise RuntimeError("no bench agents (bench1..bench10) in this database; build it "
                           "with `python -m bench inbox` first")
    return list(rows)


def log_in(url: str, email: str, password: str = PASSWORD) -> requests.Session:
    """A session logged in as a browser does: the form's CSRF token, then the post."""
    http = requests.Session()
    page = http.get(f"{url}/login", timeout=30).text
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    data = {"email": email, "password": password}
    if match:
        data["csrf_token"] = match.group(1)
    answer = http.post(f"{url}/login", data=data, allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise RuntimeError(f"log-in of {email} failed: HTTP {answer.status_code}")
    return http


def cookie_header(http: requests.Session) -> str:
    """The session's cookies as one ``Cookie`` header."""
    return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


class Sample:
    """One page load: wall latency (ms) and the server's split (ms) when it said."""

    __slots__ = ("ms", "server", "status")

    def __init__(self, ms: float, status: int, server: dict[str, float]) -> None:
        self.ms = ms
        self.status = status
        self.server = server


def fetch(http: requests.Session, url: str, started: float | None = None) -> Sample:
    """GET ``url``; latency from ``started`` (a scheduled arrival) or from now."""
    from app.serving import parse_server_timing

    begin = time.perf_counter() if started is None else started
    answer = http.get(url, timeout=60, allow_redirects=False)
    ms = (time.perf_counter() - begin) * 1000
    return Sample(ms, answer.status_code,
                  parse_server_timing(answer.headers.get("Server-Timing", "")))


def _check(samples: Sequence[Sample], case: str) -> None:
    bad = [s.status for s in samples if s.status != 200]
    if bad:
        raise RuntimeError(f"{case}: {len(bad)} answers were not 200 (e.g. {bad[0]})")


# --- Socket.IO clients, in their own process ----------------------------------------------

def _socket_clients(url: str, cookies: list[str], n: int, ready: Any, stop: Any,
                    out: Any) -> None:
    import asyncio

    asyncio.run(_socket_agents(url, cookies, n, ready, stop, out))
    out.close()
    out.join_thread()
    os._exit(0)


async def _socket_agents(url: str, cookies: list[str], n: int, ready: Any, stop: Any,
                         out: Any) -> None:
    import asyncio

    import socketio as sio

    clients = []
    errors = 0
    for index in range(n):
        client = sio.AsyncClient(reconnection=False)
        try:
            await client.connect(url, headers={"Cookie": cookies[index % len(cookies)],
                                               "Origin": url},
                                 transports=["websocket"], wait_timeout=30)
            await client.call("join", {"room": "inbox"}, timeout=30)
            clients.append(client)
        except Exception:  # counted and reported: the bench says how many connected
            errors += 1
    ready.put((len(clients), errors))
    await asyncio.get_running_loop().run_in_executor(None, stop.wait)
    out.put(sum(1 for c in clients if c.connected))


@contextmanager
def connected_agents(url: str, cookies: list[str], n: int) -> Iterator[dict[str, int]]:
    """``n`` Socket.IO clients held connected; yields counts, then ``still`` at the end."""
    ctx = mp.get_context("spawn")
    ready, out, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    proc = ctx.Process(target=_socket_clients, args=(url, cookies, n, ready, stop, out),
                       daemon=True)
    proc.start()
    connected, errors = ready.get(timeout=600)
    counts = {"connected": connected, "errors": errors}
    try:
        yield counts
    finally:
        stop.set()
        try:
            counts["still"] = out.get(timeout=60)
        except Exception:
            counts["still"] = -1
        proc.join(30)
        if proc.is_alive():
            proc.kill()


# --- measurements --------------------------------------------------------------------------

def one_agent(http: requests.Session, url: str, path: str, n: int,
              warm_up: int = 5) -> list[Sample]:
    """``n`` loads of one page by one agent, one after another (after a warm-up)."""
    for _ in range(warm_up):
        fetch(http, url + path)
    return [fetch(http, url + path) for _ in range(n)]


def open_loop(sessions: list[requests.Session], url: str, path: str, seconds: float,
              rate: float) -> list[Sample]:
    """Ten agents, each loading ``path`` every ``len(sessions) / rate`` seconds.

    Arrivals are on a fixed schedule (agent ``i`` at ``i / rate`` past each period); each
    runs on a pool thread so a slow answer never holds back the next arrival, and its
    latency counts from its scheduled time (waiting for a free connection included).
    """
    total = int(seconds * rate)
    samples: list[Sample] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.5
    # One pooled session per in-flight request: requests' sessions are not shared.
    per_agent: dict[int, list[requests.Session]] = {i: [] for i in range(len(sessions))}

    def session_for(agent: int) -> requests.Session:
        with lock:
            if per_agent[agent]:
                return per_agent[agent].pop()
        copy = requests.Session()
        copy.cookies.update(sessions[agent].cookies)
        return copy

    def arrive(index: int, at: float) -> None:
        agent = index % len(sessions)
        http = session_for(agent)
        try:
            sample = fetch(http, url + path, started=at)
        finally:
            with lock:
                per_agent[agent].append(http)
        with lock:
            samples.append(sample)

    with ThreadPoolExecutor(max_workers=64) as pool:
        for index in range(total):
            at = start + index / rate
            delay = at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(arrive, index, at)
    return samples


def closed_loop(sessions: list[requests.Session], url: str, path: str,
                seconds: float) -> tuple[float, list[Sample]]:
    """Ten agents loading ``path`` back to back for ``seconds``: (pages/s, samples)."""
    samples: list[Sample] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def agent(http: requests.Session) -> None:
        while time.perf_counter() < deadline:
            sample = fetch(http, url + path)
            with lock:
                samples.append(sample)

    began = time.perf_counter()
    threads = [threading.Thread(target=agent, args=(http,)) for http in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(samples) / (time.perf_counter() - began), samples


def _split(samples: Sequence[Sample]) -> str:
    with_split = [s.server for s in samples if "total" in s.server]
    if not with_split:
        return ""
    sql = statistics.median(s.get("sql", 0.0) for s in with_split)
    render = statistics.median(s.get("render", 0.0) for s in with_split)
    total = statistics.median(s["total"] for s in with_split)
    return (f"server median {total:.1f} ms = SQL {sql:.1f} + templates {render:.1f} "
            f"+ rest {max(0.0, total - sql - render):.1f}")


def run(database_url: str, redis_url: str, cases: Sequence[tuple[str, str]],
        one_agent_pages: int = 100, open_loop_seconds: float = 20.0,
        closed_loop_seconds: float = 10.0, sockets: int = SOCKETS,
        rss_pages: int = RSS_PAGES) -> int:
    """Measure the production web process on ``database_url``; print figures and targets."""
    if not cases:
        raise ValueError("no cases to measure")
    emails = bench_emails(database_url)
    print(f"serving: {' '.join(GUNICORN[2:])}, REDIS_URL={'set' if redis_url else 'unset'}, "
          f"{len(emails)} agents, {sockets} Socket.IO clients; load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    with web_process(database_url, redis_url) as (url, pid):
        sessions = [log_in(url, email) for email in emails]
        idle = rss_mb(pid)
        print(f"RSS at start (after log-ins): {idle:.1f} MB", flush=True)
        cookies = [cookie_header(http) for http in sessions]
        with connected_agents(url, cookies, sockets) as counts:
            with_sockets = rss_mb(pid)
            ok = counts["connected"] == sockets
            print(f"Socket.IO agents connected and joined: {counts['connected']}/{sockets} "
                  f"({counts['errors']} failed) [target {sockets}: "
                  f"{'met' if ok else 'MISSED'}]; RSS {with_sockets:.1f} MB "
                  f"[target <= {RSS_MB:.0f} MB: {_verdict(with_sockets, RSS_MB)}]",
                  flush=True)

            print("\none agent, pages one after another:", flush=True)
            for case, path in cases:
                for _ in range(5):  # warm-up, outside the CPU count
                    fetch(sessions[0], url + path)
                cpu = cpu_seconds(pid)
                samples = one_agent(sessions[0], url, path, one_agent_pages, warm_up=0)
                cpu_ms = (cpu_seconds(pid) - cpu) * 1000 / len(samples)
                _check(samples, case)
                ms = [s.ms for s in samples]
                p99, target = _pct(ms, 0.99), ONE_AGENT_P99[_kind(case, path)]
                print(f"  {case:<40} p50 {_pct(ms, 0.5):7.1f} ms  p99 {p99:7.1f} ms  "
                      f"[target p99 <= {target:.0f} ms: {_verdict(p99, target)}]  "
                      f"web process CPU {cpu_ms:.1f} ms/page; {_split(samples)}", flush=True)

            print(f"\n{len(sessions)} agents, each a page every second "
                  f"({len(sessions)} pages/s, open loop, {open_loop_seconds:.0f} s a case):",
                  flush=True)
            for case, path in cases:
                samples = open_loop(sessions, url, path, open_loop_seconds,
                                    rate=float(len(sessions)))
                _check(samples, case)
                ms = [s.ms for s in samples]
                p99, target = _pct(ms, 0.99), TEN_AGENTS_P99[_kind(case, path)]
                print(f"  {case:<40} p50 {_pct(ms, 0.5):7.1f} ms  p99 {p99:7.1f} ms  "
                      f"[target p99 <= {target:.0f} ms: {_verdict(p99, target)}]  "
                      f"({len(samples)} pages) {_split(samples)}", flush=True)

            inbox_cases = [c for c in cases if _kind(*c) == "inbox"] or list(cases)
            rate, samples = closed_loop(sessions, url, inbox_cases[0][1],
                                        closed_loop_seconds)
            _check(samples, inbox_cases[0][0])
            ms = [s.ms for s in samples]
            print(f"\n{len(sessions)} agents back to back, {inbox_cases[0][0]}: "
                  f"{rate:.1f} pages/s (p50 {_pct(ms, 0.5):.1f} ms, p99 {_pct(ms, 0.99):.1f} ms)"
                  f" [needed: >= {len(sessions)} pages/s: "
                  f"{'met' if rate >= len(sessions) else 'MISSED'}]", flush=True)

            print(f"\nRSS over {rss_pages} inbox pages ({len(inbox_cases)} inbox cases in "
                  f"turn, {sockets} agents connected):", flush=True)
            series = [rss_mb(pid)]
            for index in range(rss_pages):
                _case, path = inbox_cases[index % len(inbox_cases)]
                fetch(sessions[index % len(sessions)], url + path)
                if (index + 1) % 100 == 0:
                    series.append(rss_mb(pid))
            peak = max([with_sockets, *series])
            last_half = series[len(series) // 2:]
            growth = last_half[-1] - last_half[0]
            print("  " + " ".join(f"{v:.0f}" for v in series) + " MB", flush=True)
            print(f"  peak {peak:.1f} MB, end {series[-1]:.1f} MB [target <= {RSS_MB:.0f} MB: "
                  f"{_verdict(peak, RSS_MB)}]; growth over the last {len(last_half) - 1}00 "
                  f"pages {growth:+.1f} MB [levels off: "
                  f"{'met' if growth <= 2.0 else 'MISSED'}]", flush=True)
        print(f"Socket.IO agents still connected at the end: {counts.get('still')}/{sockets}",
              flush=True)
    return 0


def default_cases(database_url: str) -> list[tuple[str, str]]:
    """``bench.inbox.CASES`` when it exists; else the inbox URLs and the longest thread."""
    try:
        from bench import inbox

        cases: list[tuple[str, str]] = list(inbox.CASES)  # type: ignore[attr-defined]
        if cases:
            return cases
    except (ImportError, AttributeError):
        pass
    import sqlalchemy

    from app import _database_uri

    engine = sqlalchemy.create_engine(_database_uri(database_url))
    try:
        with engine.connect() as conn:
            row = conn.execute(sqlalchemy.text(
                "SELECT thread_id, count(*) FROM messages GROUP BY thread_id"
                " ORDER BY count(*) DESC LIMIT 1")).first()
    finally:
        engine.dispose()
    cases = list(DEFAULT_INBOX_CASES)
    if row is not None:
        cases.append((f"thread page, {row[1]} messages", f"/inbox/threads/{row[0]}"))
    return cases


def main(argv: list[str] | None = None) -> int:
    """``python -m bench serving --database-url URL [--redis-url URL]``."""
    parser = argparse.ArgumentParser(prog="python -m bench serving", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="",
                        help="a database built by `python -m bench inbox`")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", ""))
    parser.add_argument("--pages", type=int, default=100,
                        help="one agent's pages per case (default 100)")
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="open-loop seconds per case at 10 pages/s (default 20)")
    parser.add_argument("--sockets", type=int, default=SOCKETS)
    parser.add_argument("--rss-pages", type=int, default=RSS_PAGES)
    args = parser.parse_args(argv)
    if not args.database_url:
        # `make bench` runs it through `bench inbox`, on the database that bench builds.
        print("serving: measured by `python -m bench inbox` after it builds its database; "
              "alone, pass --database-url (a database built by it)", flush=True)
        return 0
    return run(args.database_url, args.redis_url, default_cases(args.database_url),
               one_agent_pages=args.pages, open_loop_seconds=args.seconds,
               sockets=args.sockets, rss_pages=args.rss_pages)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
