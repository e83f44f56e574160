"""The whole stack on loopback: console + sandbox platforms in one server, a poller thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from app.channels import crypto
from app.extensions import db
from app.jobs.poll import poll_channel
from app.models import Brand, Channel
from app.sandbox import create_sandbox_app
from app.triage import prepare_process

X_ID, FB_ID = "1600000000000000001", "104000000000001"


_QUEUELESS: dict[str, Flask] = {}


@pytest.fixture
def sock_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """An app on the same database without the Redis queue, for Socket.IO's test client.

    Flask-SocketIO's test client refuses a message queue; the real queue is covered by
    test_scale_out.py. The module-level ``socketio`` is pointed at this app's server for the
    test and back afterwards.
    """
    from app import create_app
    from app.extensions import socketio
    from tests.conftest import IsolatedClient
    from tests.helpers import app_settings

    if "app" not in _QUEUELESS:
        other = create_app(app_settings(database_url, REDIS_URL=""))
        other.config["WTF_CSRF_ENABLED"] = False
        other.test_client_class = IsolatedClient
        other.extensions["care_socketio_server"] = socketio.server
        _QUEUELESS["app"] = other
    other = _QUEUELESS["app"]
    other.extensions["care_presence"].clear()
    socketio.server = other.extensions["care_socketio_server"]
    try:
        yield other
    finally:
        socketio.server = app.extensions["care_socketio_server"]


@dataclass
class Stack:
    """What a live test needs to drive the console and the fake platforms."""

    url: str
    sandbox: Any  # the sandbox store
    x_channel_id: int
    fb_channel_id: int


@pytest.fixture
def stack(app: Flask, tmp_path: Path) -> Iterator[Stack]:
    """Console and sandbox served together; channels polled every 0.2 s in a thread."""
    sandbox_app = create_sandbox_app(str(tmp_path / "sandbox.db"), brand_x_user_id=X_ID,
                                     brand_fb_page_id=FB_ID)
    server = make_server("127.0.0.1", 0, DispatcherMiddleware(app, {"/sandbox": sandbox_app}),
                         threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    keys = app.config["FERNET_KEYS"]
    brand = Brand(name="Marketplace", slug="marketplace", settings={})
    x = Channel(brand=brand, network="x", name="@MarketplaceCare", account_id=X_ID,
                handle="MarketplaceCare", api_base_url=f"{url}/sandbox/x", poll_interval=5,
                credentials_encrypted=crypto.encrypt({"bearer_token": "t"}, keys))
    fb = Channel(brand=brand, network="facebook", name="Marketplace", account_id=FB_ID,
                 handle="Marketplace", api_base_url=f"{url}/sandbox/graph", poll_interval=5,
                 credentials_encrypted=crypto.encrypt({"page_access_token": "t"}, keys))
    db.session.add_all([x, fb])
    db.session.commit()
    # Plain ids: the ORM objects belong to the test thread's session.
    channel_ids = (x.id, fb.id)
    stop = threading.Event()

    def poll_forever() -> None:
        while not stop.is_set():
            with app.app_context():
                for channel_id in channel_ids:
                    poll_channel(channel_id)
                db.session.remove()
            stop.wait(0.2)

    # Loaded before the first poll, as the scheduler process does at start-up: the 2 s a
    # mention may take to reach the screen are not for loading the language models.
    prepare_process()
    poller = threading.Thread(target=poll_forever, daemon=True)
    poller.start()
    try:
        yield Stack(url, sandbox_app.extensions["sandbox_store"], *channel_ids)
    finally:
        stop.set()
        poller.join(10)
        server.shutdown()
        serving.join(5)
