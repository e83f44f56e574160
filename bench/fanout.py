"""Fan-out latency: from the ingest commit to receipt in N simulated agents.

Three set-ups, measured in the same run with the same client harness:

* ``console``: the console's own Socket.IO server (one process, threading mode); a producer
  thread in that process ingests mentions through the real pipeline at the chosen rate;
* ``bare``: a bare python-socketio server on the same HTTP stack broadcasting timestamped
  events at the same rate (the floor); each is the console's event for one new mention,
  field for field, so both servers send the same bytes;
* ``redis``: the console server with ``REDIS_URL``; the producer is another process (standing
  in for the scheduler) whose commits reach the server through the Redis message queue.

Latency is receipt time minus the event's creation time (stamped at flush, just before the
commit), so it includes the commit itself. Agents are python-socketio ``AsyncClient``s over
loopback websockets, one event loop per client process, spread over a few processes so
that the clients' own cost does not dominate the figures (threaded clients did: on two
cores, 200 of them could not keep up with 2,000 deliveries a second).

    python -m bench fanout            # or: python -m bench.fanout [--quick]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench password 123"

CONSOLE_SERVER = r'''
import sys, threading, time
from datetime import UTC, datetime
from cryptography.fernet import Fernet
from flask import request
from app import create_app
from app.auth.passwords import hash_password
from app.extensions import db, socketio
from app.models import Brand, Channel, User
from connectors.base import Author, InboundPost, PollResult

port, password, produce_here = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
app = create_app({"ENV": "testing", "SECRET_KEY": "bench-secret",
                  "FERNET_KEYS": [Fernet.generate_key().decode()],
                  "LOGIN_RATE_LIMIT": "100000 per minute"})
app.config["WTF_CSRF_ENABLED"] = False
with app.app_context():
    db.create_all()
    if db.session.scalar(db.select(User).filter_by(email="bench@example.com")) is None:
        db.session.add(User(email="bench@example.com", name="Bench Agent", role="agent",
                            password_hash=hash_password(password)))
        brand = Brand(name="Bench", slug="bench", settings={})
        db.session.add(Channel(brand=brand, network="x", name="bench", account_id="1"))
        db.session.commit()

def produce(rate, count):
    from app.ingest import ingest_page
    with app.app_context():
        channel = db.session.scalar(db.select(Channel).limit(1))
        from app import triage
        triage.analyse("warm-up")  # as a running scheduler has it; see EXTERNAL_PRODUCER
        start = time.perf_counter()
        for i in range(count):
            target = start + i / rate
            delay = target - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            post = InboundPost(platform_id=f"{time.time_ns()}-{i}", kind="mention",
                               conversation_id=None, parent_id=None,
                               author=Author(f"a{i % 50}", f"customer{i % 50}", "Customer", 100),
                               text="@Brand mon colis n'est pas arrivé, vous pouvez m'aider ?",
                               created_at=datetime.now(UTC), url=None, private=False, raw={})
            ingest_page(channel, PollResult(items=[post], cursor={}, skipped=[], more=False))

@app.route("/bench/produce", methods=["POST"])
def bench_produce():
    data = request.get_json()
    threading.Thread(target=produce, args=(data["rate"], data["count"]), daemon=True).start()
    return {"ok": True}
bench_produce._public = True

socketio.run(app, host="127.0.0.1", port=port, allow_unsafe_werkzeug=True, use_reloader=False,
             log_output=False)
'''

BARE_SERVER = r'''
import sys, threading, time
from datetime import UTC, datetime
import socketio
from werkzeug.serving import make_server

server = socketio.Server(async_mode="threading")

def produce(rate, count):
    start = time.perf_counter()
    for i in range(count):
        target = start + i / rate
        delay = target - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        # The console's own event for one new mention, field for field, so that the two
        # servers send the same bytes and the comparison is about the servers alone.
        now = datetime.now(UTC).isoformat()
        thread = {"id": i, "new": True, "version": 2, "status": "new", "assignee_id": None,
                  "message_ids": [i]}
        server.emit("event", {"seq": i, "name": "threads.updated", "room": "inbox",
                              "payload": {"threads": [thread]}, "at": now})

def wsgi(environ, start_response):
    if environ["PATH_INFO"] == "/bench/produce":
        import json
        data = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        threading.Thread(target=produce, args=(data["rate"], data["count"]), daemon=True).start()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"ok": true}']
    start_response("404 Not Found", [])
    return [b""]

@server.on("join")
def join(sid, data):
    return {"ok": True, "seq": 0}

app = socketio.WSGIApp(server, wsgi)
make_server("127.0.0.1", int(sys.argv[1]), app, threaded=True).serve_forever()
'''

EXTERNAL_PRODUCER = r'''
import sys, time
from datetime import UTC, datetime
from cryptography.fernet import Fernet
from app import create_app
from app.extensions import db
from app.ingest import ingest_page
from app.models import Channel
from connectors.base import Author, InboundPost, PollResult

rate, count = float(sys.argv[1]), int(sys.argv[2])
app = create_app({"ENV": "testing", "SECRET_KEY": "bench-secret",
                  "FERNET_KEYS": [Fernet.generate_key().decode()]})
with app.app_context():
    channel = db.session.scalar(db.select(Channel).limit(1))
    # A scheduler process is long-lived: its analyzer is loaded (about a second) before it
    # polls. Loading it inside the paced loop would fire the first events in a burst.
    from app import triage
    triage.analyse("warm-up")
    start = time.perf_counter()
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        post = InboundPost(platform_id=f"r{time.time_ns()}-{i}", kind="mention",
                           conversation_id=None, parent_id=None,
                           author=Author(f"a{i % 50}", f"customer{i % 50}", "Customer", 100),
                           text="@Brand my parcel never arrived, can you help?",
                           created_at=datetime.now(UTC), url=None, private=False, raw={})
        ingest_page(channel, PollResult(items=[post], cursor={}, skipped=[], more=False))
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, path: str = "/", timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url + path, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


def _cookie(url: str) -> str:
    http = requests.Session()
    answer = http.post(f"{url}/login", data={"email": "bench@example.com", "password": PASSWORD},
                       allow_redirects=False)
    if answer.status_code != 302:
        raise RuntimeError(f"bench log-in failed: {answer.status_code}")
    return "; ".join(f"{k}={v}" for k, v in http.cookies.items())


def _client_worker(url: str, cookie: str, n: int, expected: int, ready: Any, go: Any,
                   out: Any) -> None:
    """``n`` agents in one process: python-socketio ``AsyncClient``s on one event loop.

    Threaded clients (three threads each) spent more CPU on thread switches than on
    receiving: on a two-core machine the harness, not the server, set the figures. One
    event loop per worker process keeps the clients cheap and their clocks honest.
    """
    import asyncio

    asyncio.run(_agents(url, cookie, n, expected, ready, go, out))
    # Clean disconnects of many clients take seconds each; the figures are already out.
    out.close()
    out.join_thread()
    os._exit(0)


async def _agents(url: str, cookie: str, n: int, expected: int, ready: Any, go: Any,
                  out: Any) -> None:
    import asyncio

    import socketio as sio

    latencies: list[float] = []
    first_seen: set[int] = set()

    def handler(client_id: int) -> Any:
        async def on_event(event: dict[str, Any]) -> None:
            received = time.time()
            # The first event of the run only warms things up (connections, caches).
            if client_id not in first_seen:
                first_seen.add(client_id)
                return
            at = event.get("at")
            if isinstance(at, str):
                from datetime import datetime

                at = datetime.fromisoformat(at).timestamp()
            latencies.append(received - float(at))
        return on_event

    clients = []
    for index in range(n):
        client = sio.AsyncClient(reconnection=False)
        client.on("event", handler(index))
        await client.connect(url, headers={"Cookie": cookie} if cookie else {},
                             transports=["websocket"], wait_timeout=20)
        await client.call("join", {"room": "inbox"}, timeout=20)
        clients.append(client)
    print(f"fanout worker: {n} agents connected", file=sys.stderr, flush=True)
    ready.release()
    await asyncio.get_running_loop().run_in_executor(None, go.wait)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(latencies) < expected * n:
        await asyncio.sleep(0.05)
    print(f"fanout worker: {len(latencies)}/{expected * n} received", file=sys.stderr,
          flush=True)
    await asyncio.sleep(0.3)
    out.put(latencies)


def _measure(url: str, cookie: str, agents: int, rate: float, seconds: float,
             trigger: Any, workers: int = 4) -> dict[str, float]:
    count = max(1, int(rate * seconds))
    ctx = mp.get_context("spawn")
    ready = ctx.Semaphore(0)
    go = ctx.Event()
    out = ctx.Queue()
    shares = [agents // workers + (1 if i < agents % workers else 0) for i in range(workers)]
    procs = [ctx.Process(target=_client_worker, args=(url, cookie, n, count, ready, go, out))
             for n in shares if n]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.acquire(timeout=120)
    time.sleep(0.5)
    go.set()
    trigger(rate, count + 1)  # one more: the warm-up event each client ignores
    latencies: list[float] = []
    for _ in procs:
        latencies.extend(out.get(timeout=180))
    for proc in procs:
        proc.join(10)
        if proc.is_alive():
            proc.terminate()
    latencies.sort()
    received = len(latencies)
    ms = [x * 1000 for x in latencies]
    return {"agents": agents, "rate": rate, "events": count, "deliveries": received,
            "expected": count * agents,
            "p50": statistics.median(ms) if ms else float("nan"),
            "p99": ms[min(len(ms) - 1, int(len(ms) * 0.99))] if ms else float("nan")}


def _start(code: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextmanager
def _serving(code: str, args: list[str], env: dict[str, str], ready: str) -> Iterator[str]:
    """Start a server script on a free port; yield its URL once ``ready`` answers."""
    port = _free_port()
    server = _start(code, [str(port), *args], env)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, ready)
        yield url
    finally:
        server.terminate()
        server.wait(10)


def _post_trigger(url: str) -> Any:
    def trigger(rate: float, count: int) -> None:
        requests.post(f"{url}/bench/produce", json={"rate": rate, "count": count})
    return trigger


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Run every set-up and print the figures; returns the rows."""
    seconds = 3.0 if quick else 6.0
    loads = [(50, 50.0), (200, 10.0)]
    results: list[dict[str, Any]] = []
    base_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    base_env.pop("REDIS_URL", None)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**base_env, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'fanout.db'}"}
        with _serving(CONSOLE_SERVER, [PASSWORD, "1"], env, "/login") as url:
            cookie = _cookie(url)
            for agents, rate in loads:
                print(f"fanout: console {agents} agents at {rate:.0f}/s", flush=True)
                results.append({"setup": "console", **_measure(
                    url, cookie, agents, rate, seconds, _post_trigger(url))})
        with _serving(BARE_SERVER, [], base_env, "/bench/none") as url:
            for agents, rate in loads:
                results.append({"setup": "bare", **_measure(
                    url, "", agents, rate, seconds, _post_trigger(url))})

        redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
        try:
            import redis

            redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
        except Exception as exc:  # reported; the other figures still stand
            print(f"fanout: Redis at {redis_url} unreachable ({exc}); redis set-up skipped")
        else:
            renv = {**env, "REDIS_URL": redis_url}

            def trigger_redis(rate: float, count: int) -> None:
                subprocess.Popen([sys.executable, "-c", EXTERNAL_PRODUCER, str(rate),
                                  str(count)], cwd=ROOT, env=renv,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

            with _serving(CONSOLE_SERVER, [PASSWORD, "0"], renv, "/login") as url:
                cookie = _cookie(url)
                for agents, rate in loads:
                    results.append({"setup": "redis", **_measure(
                        url, cookie, agents, rate, seconds + 2, trigger_redis)})
    _print(results)
    return results


def _print(results: list[dict[str, Any]]) -> None:
    print("\nFan-out latency, ingest commit -> receipt (ms)")
    print(f"{'set-up':<8} {'agents':>6} {'ev/s':>5} {'delivered':>11} {'p50':>8} {'p99':>8}")
    bare = {(r["agents"], r["rate"]): r for r in results if r["setup"] == "bare"}
    missed = []
    for r in results:
        delivered = f"{r['deliveries']}/{r['expected']}"
        line = (f"{r['setup']:<8} {r['agents']:>6} {r['rate']:>5.0f} {delivered:>11} "
                f"{r['p50']:>8.1f} {r['p99']:>8.1f}")
        floor = bare.get((r["agents"], r["rate"]))
        name = f"{r['setup']} {r['agents']}@{r['rate']:.0f}"
        ok = r["deliveries"] == r["expected"]
        if r["setup"] == "console":
            ratio = r["p99"] / floor["p99"] if floor and floor["p99"] > 0 else None
            ok = ok and r["p99"] <= 100 and (ratio is None or ratio <= 1.5)
            line += (f"   p99 = {ratio:.2f}x bare" if ratio is not None else "") + \
                f"   [target p99 <= 100 ms and <= 1.5x bare, all delivered: " \
                f"{'met' if ok else 'MISSED'}]"
        elif r["setup"] == "redis":
            ok = ok and r["p99"] <= 150
            line += f"   [target p99 <= 150 ms, all delivered: {'met' if ok else 'MISSED'}]"
        else:
            line += "   (reference: a bare python-socketio server)"
        if not ok:
            missed.append(name)
        print(line)
    print("fan-out targets: " + ("met" if not missed else "MISSED (" + ", ".join(missed) + ")"))
    print(json.dumps({"fanout": results}))


def main(argv: list[str] | None = None) -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    run(parser.parse_args(argv).quick)


if __name__ == "__main__":
    main()
