"""Serving through the Socket.IO server (`make run`), with the jobs in-process if asked."""

from __future__ import annotations

from flask import Flask

from app.extensions import socketio


def serve(app: Flask) -> None:
    """Serve the console; in the single-process demo also run the scheduled jobs."""
    host, port = app.config["HOST"], app.config["PORT"]
    if app.config["SCHEDULER_IN_WEB"]:
        from app.jobs.registry import SchedulerRunner
        from app.triage import prepare_process

        with app.app_context():
            prepare_process()
        # The jobs run in this process, behind the same lock a scheduler process would take.
        SchedulerRunner(app, retry_seconds=5).start_in_thread()
    print(f"Care Console on http://{host}:{port}", flush=True)
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False,
                 log_output=False)
