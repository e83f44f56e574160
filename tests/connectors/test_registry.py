"""The registry: lookup, and a missing platform library disables, never crashes."""

from __future__ import annotations

import importlib
import sys

import pytest

from connectors import registry
from connectors.base import ChannelSettings, Connector, ConnectorDisabled
from connectors.facebook import FacebookConnector
from connectors.x import XConnector


def test_both_networks_available_with_their_libraries():
    assert registry.available() == {"facebook": None, "x": None}


def test_get_connector_builds_the_registered_class():
    settings = ChannelSettings(account_id="1", credentials={"bearer_token": "t"})
    connector = registry.get_connector("x", settings)
    assert isinstance(connector, XConnector)
    assert isinstance(connector, Connector)
    assert isinstance(registry.get_connector("facebook", settings), FacebookConnector)


def test_unknown_network_is_disabled():
    with pytest.raises(ConnectorDisabled):
        registry.get_connector("myspace", ChannelSettings(account_id="1", credentials={}))


@pytest.mark.parametrize(("network", "library", "module"), [
    ("x", "tweepy", "connectors.x"), ("facebook", "facebook", "connectors.facebook")])
def test_missing_library_disables_with_a_reason(monkeypatch, network, library, module):
    # None in sys.modules makes "import <library>" raise ImportError.
    monkeypatch.setitem(sys.modules, library, None)
    monkeypatch.delitem(sys.modules, module)
    monkeypatch.delitem(registry._REGISTRY, network)
    status = registry.available()
    assert status[network] is not None and library in status[network]
    other = "facebook" if network == "x" else "x"
    assert status[other] is None
    with pytest.raises(ConnectorDisabled) as info:
        registry.get_connector(network, ChannelSettings(account_id="1", credentials={}))
    assert library in info.value.reason
    # The package itself still imports.
    importlib.reload(sys.modules["connectors"])


def test_register_decorator_adds_a_network(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    @registry.register("fake")
    class Fake:
        def __init__(self, settings: ChannelSettings) -> None:
            self.settings = settings

    assert registry.available()["fake"] is None
    built = registry.get_connector("fake", ChannelSettings(account_id="9", credentials={}))
    assert isinstance(built, Fake) and built.settings.account_id == "9"
