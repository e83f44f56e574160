"""Settings: one defaults table, overridden by the environment and an optional `.env`.

Precedence (highest first): explicit overrides passed to ``create_app`` (tests), process
environment, the ``.env`` file in the working directory, the defaults table.
"""

from __future__ import annotations

from config.settings import DEFAULTS, ConfigError, Setting, load_settings

__all__ = ["DEFAULTS", "ConfigError", "Setting", "load_settings"]
