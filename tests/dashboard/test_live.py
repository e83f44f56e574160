"""Live dashboards: the rollup job's ``dashboard.updated`` reaches readers, not agents."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask

from app.dashboard import upkeep
from app.models import Brand, Channel, User, utcnow
from tests.dashboard.conftest import Reply, Spec, build
from tests.live.conftest import sock_app  # noqa: F401
from tests.live.test_sockets import _client


def test_readers_join_and_hear_todays_figures_move(
        app: Flask, sock_app: Flask, make_user: Callable[..., User],  # noqa: F811
        brand_channels: tuple[Brand, Channel, Channel]) -> None:
    brand, x, _fb = brand_channels
    reader = _client(sock_app, make_user("brand"))
    agent = _client(sock_app, make_user("agent"))
    assert reader.emit("dashboard.join", {}, callback=True) == {"ok": True,
                                                                "room": "dashboard"}
    assert agent.emit("dashboard.join", {}, callback=True) == {"ok": False,
                                                               "error": "forbidden"}
    reader.get_received()
    opened = utcnow() - timedelta(seconds=60)  # today in the brand's zone
    build(Spec(opened, [Reply(opened + timedelta(seconds=30))]), x)
    upkeep.refresh()
    events = [e["args"][0] for e in reader.get_received() if e["name"] == "event"]
    assert any(e["name"] == "dashboard.updated" and e["payload"]["brand_id"] == brand.id
               for e in events)
