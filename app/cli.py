"""Command-line entries: `flask --app wsgi seed-demo`, `serve`, and later `scheduler`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    """Register the commands."""

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Create demo users, brand, channels and threads (idempotent)."""
        from app.demo.services import seed_demo

        root = None
        if current_app.config["SANDBOX"]:
            root = current_app.config["PUBLIC_URL"].rstrip("/") + "/sandbox"
        report = seed_demo(Path(current_app.instance_path), sandbox_root=root)
        click.echo(f"Demo data: {report.created_users} users and {report.created_threads} "
                   "threads created (existing data kept).")
        click.echo("Demo accounts (log in at " + current_app.config["PUBLIC_URL"] + "):")
        for key, (email, password) in report.passwords.items():
            click.echo(f"  {key:<11} {email:<22} {password}")

    @app.cli.command("serve")
    def serve_command() -> None:
        """Serve the console through the Socket.IO server."""
        from app.extensions import socketio

        host, port = current_app.config["HOST"], current_app.config["PORT"]
        click.echo(f"Care Console on http://{host}:{port}")
        socketio.run(current_app._get_current_object(), host=host, port=port,
                     allow_unsafe_werkzeug=True, use_reloader=False, log_output=True)
