"""Socket.IO: dashboard pages join the dashboard room to hear that figures moved."""

from __future__ import annotations

from typing import Any

from flask_socketio import join_room

from app.dashboard.upkeep import DASHBOARD_ROOM
from app.realtime.events import socket_event

READER_ROLES = ("brand", "supervisor", "admin")


@socket_event("dashboard.join", READER_ROLES)
def on_dashboard_join(data: dict[str, Any]) -> dict[str, Any]:
    """Join the dashboard room; ``dashboard.updated`` events follow each rollup run."""
    join_room(DASHBOARD_ROOM)
    return {"room": DASHBOARD_ROOM}
