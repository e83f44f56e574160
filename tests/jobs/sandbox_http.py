"""The platform sandbox served over HTTP in a thread, with a request counter and a delay.

Shared by the jobs, ingest, outbox and channels tests (their conftests import the fixture).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.fernet import Fernet
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from app.channels.crypto import encrypt
from app.models import Channel
from app.sandbox import SandboxStore, create_sandbox_app

BRAND_X_ID = "1600000000000000001"
PAGE_ID = "104000000000001"


class Counting:
    """WSGI middleware: records every platform request and can slow them down."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[tuple[str, str]] = []
        self.delay = 0.0
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith(("/x/", "/graph/")):
            with self._lock:
                self.requests.append((environ.get("REQUEST_METHOD", "GET"), path))
            if self.delay:
                time.sleep(self.delay)
        return self.app(environ, start_response)

    def count(self, contains: str = "") -> int:
        """How many platform requests (whose path contains ``contains``) arrived."""
        with self._lock:
            return sum(1 for _, p in self.requests if contains in p)


@dataclass
class HttpSandbox:
    """Handles on a running sandbox."""

    root: str
    store: SandboxStore
    counter: Counting
    channels: list[int] = field(default_factory=list)

    def post(self, **event: Any) -> dict[str, Any]:
        """Publish as a customer."""
        response = requests.post(f"{self.root}/_api/posts", json=event, timeout=5)
        assert response.status_code == 201, response.text
        return response.json()

    def fault(self, kind: str, path: str = ".*", count: int = 1, method: str | None = None,
              **params: Any) -> None:
        """Arm a fault on the next ``count`` matching requests."""
        response = requests.post(f"{self.root}/_faults", json={
            "kind": kind, "path": path, "count": count, "method": method, "params": params},
            timeout=5)
        assert response.status_code == 201, response.text

    def timeline(self, **filters: str) -> list[dict[str, Any]]:
        """Every stored post, newest first."""
        return requests.get(f"{self.root}/_api/timeline", params=filters, timeout=30).json()

    def customer_tweet_ids(self) -> set[str]:
        """Ids of the customers' tweets mentioning the brand."""
        return {r["id"] for r in self.timeline(network="x", kind="tweet")
                if not r["from_brand"]}


def channel_fields(sandbox: HttpSandbox, network: str, keys: list[str]) -> dict[str, Any]:
    """Columns of a channel pointed at the sandbox, credentials encrypted with ``keys``."""
    if network == "x":
        return {"account_id": BRAND_X_ID, "handle": "MarketplaceCare",
                "api_base_url": f"{sandbox.root}/x",
                "credentials_encrypted": encrypt({"bearer_token": "sandbox-token"}, keys)}
    return {"account_id": PAGE_ID, "api_base_url": f"{sandbox.root}/graph",
            "credentials_encrypted": encrypt({"page_access_token": "sandbox-page"}, keys)}


@pytest.fixture
def http_sandbox(tmp_path: Path) -> Iterator[HttpSandbox]:
    """A sandbox on a free loopback port under /sandbox, counting platform requests."""
    inner = create_sandbox_app(str(tmp_path / "sandbox.sqlite"))
    counter = Counting(inner.wsgi_app)
    inner.wsgi_app = counter  # type: ignore[method-assign]
    wsgi = DispatcherMiddleware(Flask("outer"), {"/sandbox": inner})
    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HttpSandbox(f"http://127.0.0.1:{server.server_port}/sandbox",
                          inner.extensions["sandbox_store"], counter)
    finally:
        inner.extensions["sandbox_traffic"].stop()
        server.shutdown()
        thread.join(5)


@pytest.fixture
def sandbox_channel(app: Flask, http_sandbox: HttpSandbox,
                    make_channel: Callable[..., Channel]) -> Callable[..., Channel]:
    """Factory: sandbox_channel(network="x", **fields) -> a channel polling the sandbox."""

    def make(network: str = "x", **fields: Any) -> Channel:
        values = channel_fields(http_sandbox, network, list(app.config["FERNET_KEYS"]))
        values.update(fields)
        return make_channel(network, **values)

    return make


def new_fernet_key() -> str:
    """A fresh Fernet key."""
    return Fernet.generate_key().decode()
