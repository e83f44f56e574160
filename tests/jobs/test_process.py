"""A long-running process is prepared before its first poll (analyzer loaded, GC settled)."""

from __future__ import annotations

import gc
import signal
from typing import Any

import pytest
from flask import Flask

import app.jobs.registry as registry
from app import triage


def test_prepare_process_loads_the_analyzer_and_freezes_what_is_alive(app: Flask) -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        triage.prepare_process()
        assert triage._analyzer.cache_info().currsize >= 1
        # Start-up objects are out of the collector's way; new ones are still collected.
        assert gc.get_freeze_count() > 1000
        before = gc.get_freeze_count()
        cycle: list[Any] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
        assert gc.get_freeze_count() == before
    finally:
        gc.unfreeze()


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
