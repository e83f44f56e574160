"""Local imitation of the X and Graph API subsets used by the connectors.

Mount it anywhere (e.g. under ``/sandbox`` with werkzeug's
DispatcherMiddleware) and point the connectors at ``{root}/x`` and
``{root}/graph``.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["SandboxStore", "TrafficGenerator", "create_sandbox_app"]

_EXPORTS = {
    "create_sandbox_app": "app.sandbox.app",
    "SandboxStore": "app.sandbox.store",
    "TrafficGenerator": "app.sandbox.traffic",
}


def __getattr__(name: str) -> Any:
    # Lazy, so `python -m app.sandbox.traffic` does not import traffic twice.
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'app.sandbox' has no attribute {name!r}")
