"""A real HTTP sandbox, mounted under /sandbox, for the integration tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from app.sandbox import SandboxStore, create_sandbox_app
from connectors.base import ChannelSettings
from connectors.facebook import FacebookConnector
from connectors.x import XConnector

BRAND_X_ID = "1600000000000000001"
PAGE_ID = "104000000000001"


@dataclass
class Sandbox:
    """Handles on a running sandbox."""

    root: str  # e.g. http://127.0.0.1:PORT/sandbox
    store: SandboxStore

    def x(self, **overrides: Any) -> XConnector:
        settings = ChannelSettings(account_id=BRAND_X_ID, credentials={"bearer_token": "t"},
                                   api_base_url=f"{self.root}/x", handle="MarketplaceCare",
                                   timeout=5.0)
        for key, value in overrides.items():
            setattr(settings, key, value)
        return XConnector(settings)

    def facebook(self, **overrides: Any) -> FacebookConnector:
        settings = ChannelSettings(account_id=PAGE_ID, credentials={"page_access_token": "p"},
                                   api_base_url=f"{self.root}/graph", timeout=5.0)
        for key, value in overrides.items():
            setattr(settings, key, value)
        return FacebookConnector(settings)

    def post(self, **event: Any) -> dict[str, Any]:
        """Publish as a customer through the sandbox's HTTP API."""
        response = requests.post(f"{self.root}/_api/posts", json=event, timeout=5)
        assert response.status_code == 201, response.text
        return response.json()

    def fault(self, kind: str, path: str = ".*", count: int = 1, **params: Any) -> None:
        response = requests.post(f"{self.root}/_faults", json={
            "kind": kind, "path": path, "count": count, "params": params}, timeout=5)
        assert response.status_code == 201, response.text

    def timeline(self, **filters: str) -> list[dict[str, Any]]:
        return requests.get(f"{self.root}/_api/timeline", params=filters, timeout=5).json()


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    app = create_sandbox_app(str(tmp_path / "sandbox.sqlite"))
    outer = Flask("outer")  # the prefix proves every sandbox URL honours script_root
    wsgi = DispatcherMiddleware(outer, {"/sandbox": app})
    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Sandbox(f"http://127.0.0.1:{server.server_port}/sandbox",
                      app.extensions["sandbox_store"])
    finally:
        app.extensions["sandbox_traffic"].stop()
        server.shutdown()
        thread.join(5)


def drain(poll: Any, cursor: dict[str, Any] | None, limit: int = 50
          ) -> tuple[list[Any], dict[str, Any]]:
    """Call ``poll`` while it says more; return every item and the final cursor."""
    items: list[Any] = []
    for _ in range(limit):
        result = poll(cursor)
        items.extend(result.items)
        cursor = result.cursor
        if not result.more:
            return items, cursor
    raise AssertionError("poll never finished")
