"""The one registry of connectors, keyed by network name.

Connector modules are imported lazily: a platform library that is missing
(``tweepy`` or ``facebook``) disables that network with a reason instead of
breaking ``import connectors``.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any

from connectors.base import ChannelSettings, Connector, ConnectorDisabled

# network -> module that registers it when imported.
KNOWN_MODULES: dict[str, str] = {
    "x": "connectors.x",
    "facebook": "connectors.facebook",
}

_REGISTRY: dict[str, type[Any]] = {}
_lock = threading.Lock()


def register(network: str) -> Callable[[type[Any]], type[Any]]:
    """Class decorator: make ``cls`` the connector for ``network``."""

    def decorator(cls: type[Any]) -> type[Any]:
        with _lock:
            _REGISTRY[network] = cls
        return cls

    return decorator


def _load(network: str) -> str | None:
    """Import the module of ``network`` if needed; return None or why it is unusable."""
    if network in _REGISTRY:
        return None
    module_name = KNOWN_MODULES.get(network)
    if module_name is None:
        return f"unknown network {network!r}"
    try:
        importlib.import_module(module_name)
    except ImportError as exc:
        # The library (not our code) is what is usually missing: name it.
        missing = getattr(exc, "name", None) or str(exc)
        return f"{network} connector disabled: cannot import {missing} ({exc})"
    if network not in _REGISTRY:
        return f"{module_name} did not register a connector for {network!r}"
    return None


def available() -> dict[str, str | None]:
    """Return every known network mapped to None when usable, else the reason it is not."""
    networks = sorted(set(KNOWN_MODULES) | set(_REGISTRY))
    return {network: _load(network) for network in networks}


def connector_class(network: str) -> type[Any] | None:
    """The connector class of ``network`` (its class-level facts, such as
    ``private_reply_window``), or None when it cannot be used here."""
    return None if _load(network) is not None else _REGISTRY[network]


def get_connector(network: str, settings: ChannelSettings) -> Connector:
    """Build the connector for ``network``; raise ConnectorDisabled if it cannot be used."""
    reason = _load(network)
    if reason is not None:
        raise ConnectorDisabled(reason)
    connector: Connector = _REGISTRY[network](settings)
    return connector
