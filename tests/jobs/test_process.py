"""A long-running process is prepared before its first poll (analyzer loaded)."""

from __future__ import annotations

import signal

import pytest
from flask import Flask

import app.jobs.registry as registry
from app import triage


def test_prepare_process_loads_the_analyzer(app: Flask) -> None:
    triage._analyzer.cache_clear()
    with app.app_context():
        triage.prepare_process()
    assert triage._analyzer.cache_info().currsize >= 1


def test_the_scheduler_command_prepares_the_process_first(app: Flask,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    calls: list[str] = []
    monkeypatch.setattr(triage, "prepare_process", lambda: calls.append("prepare"))

    class Runner:
        def __init__(self, _app: Flask) -> None:
            calls.append("runner")

        def run(self) -> None:
            calls.append("run")

        def stop(self) -> None:
            calls.append("stop")

    monkeypatch.setattr(registry, "SchedulerRunner", Runner)
    monkeypatch.setattr(signal, "signal", lambda *_args: None)  # keep pytest's own handler
    result = app.test_cli_runner().invoke(args=["scheduler"])
    assert result.exit_code == 0, result.output
    assert calls == ["prepare", "runner", "run"]
