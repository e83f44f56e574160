"""Several web processes sharing the Redis message queue, on PostgreSQL (the scale-out set-up).

Two console processes serve sockets; a third (this test process, standing in for the
scheduler) commits and publishes. Browsers on either process see everything.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import socketio as sio

from app.extensions import db
from app.models import Thread, User
from app.realtime.publish import publish
from tests.helpers import DATABASE_URL, FERNET_KEY, REDIS_URL, ROOT, TEST_PASSWORD

pytestmark = pytest.mark.skipif(
    not (REDIS_URL and DATABASE_URL.startswith("postgres")),
    reason="scale-out needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
)

SERVER = """
import sys
from app import create_app
from app.extensions import socketio
app = create_app({"ENV": "testing", "SECRET_KEY": "test-secret-key",
                  "FERNET_KEYS": [sys.argv[2]], "LOGIN_RATE_LIMIT": "1000 per minute"})
app.config["WTF_CSRF_ENABLED"] = False
socketio.run(app, host="127.0.0.1", port=int(sys.argv[1]), allow_unsafe_werkzeug=True,
             use_reloader=False, log_output=False)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/login", timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


@pytest.fixture
def two_processes(app: Any) -> Iterator[list[str]]:
    """Two web processes on the same database and the same Redis queue."""
    env = {**os.environ, "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL,
           "PYTHONPATH": str(ROOT)}
    procs, urls = [], []
    for _ in range(2):
        port = _free_port()
        procs.append(subprocess.Popen([sys.executable, "-c", SERVER, str(port), FERNET_KEY],
                                      cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            _wait(url)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)


class Agent:
    """A python-socketio client logged in on one web process."""

    def __init__(self, url: str, user: User) -> None:
        http = requests.Session()
        http.post(f"{url}/login", data={"email": user.email, "password": TEST_PASSWORD},
                  allow_redirects=False)
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        self.received: list[tuple[str, Any]] = []
        self.lock = threading.Lock()
        self.client = sio.Client(reconnection=False)
        for name in ("event", "presence", "lock.taken"):
            self.client.on(name, self._recorder(name))
        self.client.connect(url, headers={"Cookie": cookie, "Origin": url},
                            transports=["polling"], wait_timeout=10)

    def _recorder(self, name: str) -> Callable[[Any], None]:
        def record(payload: Any) -> None:
            with self.lock:
                self.received.append((name, payload))
        return record

    def ask(self, name: str, data: Any) -> Any:
        return self.client.call(name, data, timeout=10)

    def wait_for(self, predicate: Callable[[str, Any], bool], timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for name, payload in self.received:
                    if predicate(name, payload):
                        return payload
            time.sleep(0.02)
        raise AssertionError(f"nothing matched; received {self.received}")


def test_presence_and_events_cross_processes(two_processes: list[str],
                                             make_user: Callable[..., User],
                                             make_thread: Callable[..., Thread]) -> None:
    thread = make_thread()
    marie, tom = make_user("agent", name="Marie"), make_user("agent", name="Tom")
    a, b = Agent(two_processes[0], marie), Agent(two_processes[1], tom)
    try:
        for agent in (a, b):
            assert agent.ask("join", {"room": f"thread:{thread.id}"})["ok"] is True
            assert agent.ask("join", {"room": "inbox"})["ok"] is True
        # A lock taken on process B is seen by the browser on process A (via Redis).
        assert b.ask("lock", {"thread_id": thread.id})["locked"] is True
        seen = a.wait_for(lambda n, p: n == "presence" and p.get("lock") is not None)
        assert seen["lock"]["name"] == "Tom"
        # The lock itself lives in Redis: process A refuses a second one.
        assert a.ask("lock", {"thread_id": thread.id})["locked"] is False
        # An event committed by a third process (the scheduler) reaches both browsers.
        publish("thread.updated", {"id": thread.id, "marker": "from-scheduler"})
        db.session.commit()
        for agent in (a, b):
            event = agent.wait_for(lambda n, p: n == "event"
                                   and p["payload"].get("marker") == "from-scheduler")
            assert event["seq"] > 0
    finally:
        a.client.disconnect()
        b.client.disconnect()

