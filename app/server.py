"""Serving through the Socket.IO server (`make run`), with the jobs in-process if asked."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from pathlib import Path

from flask import Flask

from app.extensions import socketio


def demo_banner(app: Flask) -> str | None:
    """The closing lines of `make run`: where to log in and the demo accounts, if seeded."""
    from app.demo.content import DEMO_USERS

    path = Path(app.instance_path) / "demo_passwords.json"
    if not path.exists():
        return None
    try:
        passwords = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    lines = [f"Care Console is up: {app.config['PUBLIC_URL']}", "Demo accounts:"]
    for key, spec in DEMO_USERS.items():
        if key in passwords:
            lines.append(f"  {spec['role']:<11} {spec['email']:<22} {passwords[key]}")
    return "\n".join(lines)


def _announce_when_listening(host: str, port: int, text: str, timeout: float = 60.0) -> None:
    # The server logs its own start-up lines first; the passwords come last, once it accepts.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host if host != "0.0.0.0" else "127.0.0.1", port),
                                          timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    print("\n" + text + "\n", flush=True)


def configure_request_log(app: Flask) -> None:
    """Quiet per-request lines unless ``CARE_REQUEST_LOG`` asks for them (warnings stay)."""
    level = logging.INFO if app.config["REQUEST_LOG"] else logging.WARNING
    logging.getLogger("werkzeug").setLevel(level)


def serve(app: Flask) -> None:
    """Serve the console; in the single-process demo also run the scheduled jobs."""
    host, port = app.config["HOST"], app.config["PORT"]
    configure_request_log(app)
    if app.config["SCHEDULER_IN_WEB"]:
        from app.jobs.registry import SchedulerRunner
        from app.triage import prepare_process

        with app.app_context():
            prepare_process()
        # The jobs run in this process, behind the same lock a scheduler process would take.
        SchedulerRunner(app).start_in_thread()
    print(f"Care Console on http://{host}:{port}", flush=True)
    banner = demo_banner(app) if app.config["SANDBOX"] else None
    if banner:
        threading.Thread(target=_announce_when_listening, args=(host, port, banner),
                         daemon=True, name="demo-banner").start()
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False,
                 log_output=bool(app.config["REQUEST_LOG"]))
