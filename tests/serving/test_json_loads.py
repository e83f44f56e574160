"""The engines' JSON reader: the parser's results, and a fresh object for each empty one."""

from __future__ import annotations

import json

import pytest

from app.models.types import json_loads


@pytest.mark.parametrize("text", ["[]", "{}", '[{"name": "scam", "triggers": ["arnaque"]}]',
                                  '{"a": [1, 2.5, null, true]}', '"x"', "3", " [] ", "[ ]"])
def test_reads_what_the_parser_reads(text: str) -> None:
    assert json_loads(text) == json.loads(text)
    assert json_loads(text.encode()) == json.loads(text)


def test_an_empty_value_is_a_new_object_each_time() -> None:
    first, second = json_loads("[]"), json_loads(b"[]")
    first.append(1)  # a message's list changed in memory must not leak into the next row
    assert second == [] and json_loads("[]") == []
    assert json_loads("{}") is not json_loads("{}")


def test_the_app_engines_are_configured_with_it(app) -> None:
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["json_deserializer"] is json_loads
