"""The serving set-up: the async mode chosen by settings, the bench's timing header, and the
documented production command (gunicorn's gevent worker) serving a page and a websocket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask

from app import serving
from app.models import User
from bench.serving import GUNICORN, cookie_header, log_in
from config import ConfigError, load_settings
from tests.helpers import FERNET_KEY, REDIS_URL, ROOT, TEST_PASSWORD, app_settings


def test_auto_is_threading_unless_gevent_patched_the_process(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert serving.resolve_async_mode("auto") == "threading"  # pytest is not patched
    assert serving.resolve_async_mode("threading") == "threading"
    monkeypatch.setattr(serving, "gevent_patched", lambda: True)
    assert serving.resolve_async_mode("auto") == "gevent"
    with pytest.raises(ValueError):
        serving.resolve_async_mode("eventlet")


def test_gevent_asked_without_patching_is_said(caplog: pytest.LogCaptureFixture) -> None:
    assert serving.resolve_async_mode("gevent") == "gevent"
    assert "gunicorn -k gevent" in caplog.text


def test_async_mode_setting_is_checked(tmp_path: Path) -> None:
    values = load_settings(tmp_path, environ={"CARE_ASYNC_MODE": "gevent"}, dotenv_path=None)
    assert values["ASYNC_MODE"] == "gevent"
    assert load_settings(tmp_path, environ={}, dotenv_path=None)["ASYNC_MODE"] == "auto"
    with pytest.raises(ConfigError, match="CARE_ASYNC_MODE"):
        load_settings(tmp_path, environ={"CARE_ASYNC_MODE": "fast"}, dotenv_path=None)


def test_server_timing_header_only_when_asked(tmp_path: Path) -> None:
    from app import create_app
    from app.extensions import db

    timed = create_app(app_settings(f"sqlite:///{tmp_path / 'timed.db'}",
                                    SERVER_TIMING=True, REDIS_URL=""))
    with timed.app_context():
        db.create_all()
    answer = timed.test_client().get("/login")
    figures = serving.parse_server_timing(answer.headers["Server-Timing"])
    assert set(figures) == {"sql", "render", "total"}
    assert figures["render"] > 0
    assert figures["total"] >= figures["sql"] + figures["render"]
    plain = create_app(app_settings(f"sqlite:///{tmp_path / 'timed.db'}", REDIS_URL=""))
    assert "Server-Timing" not in plain.test_client().get("/login").headers


def test_parse_server_timing() -> None:
    header = 'sql;dur=3.50;desc="7 queries", render;dur=12.25, total;dur=20.00'
    assert serving.parse_server_timing(header) == {"sql": 3.5, "render": 12.25,
                                                   "total": 20.0}
    assert serving.parse_server_timing("") == {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def gevent_server(app: Flask, database_url: str) -> Iterator[str]:
    """The README's production command on the test database."""
    pytest.importorskip("gevent", reason="gevent is in requirements.txt: install them")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
           "PYTHONPATH": str(ROOT), "CARE_ENV": "testing", "SECRET_KEY": "test-secret-key",
           "CARE_FERNET_KEYS": FERNET_KEY, "CARE_PUBLIC_URL": url,
           "CARE_LOGIN_RATE_LIMIT": "1000 per minute"}
    proc = subprocess.Popen([*GUNICORN, "-b", f"127.0.0.1:{port}"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{url}/login", timeout=2)
                break
            except requests.RequestException:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
        assert b"Traceback" not in err, err.decode()
        assert b"Using worker: gevent" in err


def test_gevent_worker_serves_pages_and_websockets(
        gevent_server: str, make_user: Callable[..., User],
        make_thread: Callable[..., object]) -> None:
    import socketio as sio

    user = make_user(locale="en")
    make_thread(status="open")
    http = log_in(gevent_server, user.email, TEST_PASSWORD)
    page = http.get(f"{gevent_server}/inbox", timeout=30)
    assert page.status_code == 200
    assert "Where is my parcel?" in page.text
    # More websockets than a threaded worker's pool would hold with a page still answering:
    # each is a greenlet here.
    clients = []
    try:
        for _ in range(30):
            client = sio.Client(reconnection=False)
            # The client sends the Origin header itself (the server's own: accepted).
            client.connect(gevent_server, headers={"Cookie": cookie_header(http)},
                           transports=["websocket"], wait_timeout=20)
            assert client.transport() == "websocket"
            answer = client.call("join", {"room": "inbox"}, timeout=20)
            assert answer["room"] == "inbox" and isinstance(answer["seq"], int)
            clients.append(client)
        assert http.get(f"{gevent_server}/inbox", timeout=30).status_code == 200
    finally:
        for client in clients:
            client.disconnect()
    assert sys.modules.get("gevent.monkey") is None  # the test process itself stays threaded


LIGHT_WEB_PROCESS = """
import sys
from app import create_app
from app.outbox.composer import check_draft
from app.triage import score_priority
from tone import Analysis
app = create_app({"ENV": "testing", "SECRET_KEY": "k", "FERNET_KEYS": [sys.argv[1]],
                  "DATABASE_URL": "sqlite://", "REDIS_URL": "", "SANDBOX": False})
with app.app_context():
    check = check_draft("x", "write to jane.doe@example.com", handle="jane",
                        signature=None, public=True)
    assert [span["kind"] for span in check.pii] == ["email"], check.pii
    score_priority(Analysis(language="en", polarity=0.0, subjectivity=0.0,
                            category="other", urgency=(), pii=()),
                   followers=10, segment="private", waited_seconds=0)
heavy = sorted(name for name in ("tone.analyzer", "textblob", "nltk", "scipy", "lingua")
               if name in sys.modules)
print(",".join(heavy))
"""


def test_web_process_checks_drafts_without_loading_the_analyzer() -> None:
    """The analyzer's libraries (about 115 MB) stay out of a web process: a draft's personal
    data and a corrected priority need only the detector and the weights."""
    done = subprocess.run([sys.executable, "-c", LIGHT_WEB_PROCESS, FERNET_KEY], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
