"""Fault injection: a Redis of the test's own (its own port, no persistence) that a test can
kill and start again, and an app that uses it for everything Redis does in scale-out.

These tests need ``redis-server`` (``.ci/run`` installs it): without it they fail rather than
skip, so CI cannot pass by accident. They run on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.extensions import limiter, socketio
from tests.conftest import IsolatedClient
from tests.helpers import app_settings
from tests.jobs.sandbox_http import http_sandbox, sandbox_channel  # noqa: F401


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A redis-server process the test owns: ``kill()`` it, ``start()`` it again."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        """As a crash would: SIGKILL, no shutdown save."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A running redis-server on a free port, killed after the test."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is required for the fault-injection tests "
                    "(apt-get install redis-server)")
    server = RedisServer(binary, tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def redis_app(app: Flask, database_url: str, redis_server: RedisServer) -> Iterator[Flask]:
    """An app on the test database whose Redis (limiter, presence, queue, scheduler lock)
    is ``redis_server``. The module-level extensions it rebinds are put back afterwards."""
    saved_limiter = dict(vars(limiter))
    other = create_app(app_settings(database_url, REDIS_URL=redis_server.url))
    other.config["WTF_CSRF_ENABLED"] = False
    other.test_client_class = IsolatedClient
    try:
        yield other
    finally:
        vars(limiter).update(saved_limiter)
        socketio.server = app.extensions["care_socketio_server"]
