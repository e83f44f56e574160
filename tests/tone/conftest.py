"""Fixtures for the tone package tests."""

from __future__ import annotations

import pytest

from tone import Analyzer, get_analyzer


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    """The shared default analyzer (building the language models takes about a second)."""
    return get_analyzer()
