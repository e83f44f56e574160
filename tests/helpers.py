"""Constants and helpers shared by tests (kept out of conftest so they import once)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")
TEST_PASSWORD = "correct horse battery"
FERNET_KEY = Fernet.generate_key().decode()


def app_settings(database_url: str, **extra: Any) -> dict[str, Any]:
    """Settings for a test app (no files written in the instance folder)."""
    settings: dict[str, Any] = {
        "ENV": "testing",
        "SECRET_KEY": "test-secret-key",
        "FERNET_KEYS": [FERNET_KEY],
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "SANDBOX": False,
        "SCHEDULER_IN_WEB": False,
        "LOGIN_RATE_LIMIT": "1000 per minute",
    }
    settings.update(extra)
    return settings


