"""Odd input never raises and gives sane results."""

from __future__ import annotations

import time

import pytest

from tone import CATEGORIES


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "😡🤬💩",
        "\x00\x01\x02 bonjour \x7f\u200b",
        "<p>Mon <b>colis</b> n&#39;est pas arrivé</p><script>alert(1)</script>",
        "my colis est perdu, where is it ??? merci",
        "a" * 20_000,
        "1" * 5_000,
        "\ud800 lone surrogate",
        "@" * 300,
        "https://" + "x" * 3000,
    ],
)
def test_no_exception_and_sane(analyzer, text):
    result = analyzer.analyse(text)
    assert result.language in ("fr", "en", "other")
    assert -1.0 <= result.polarity <= 1.0
    assert 0.0 <= result.subjectivity <= 1.0
    assert result.category in CATEGORIES
    result.to_dict()


def test_none_and_bytes_are_tolerated(analyzer):
    assert analyzer.analyse(None).category == "other"  # type: ignore[arg-type]
    assert analyzer.analyse("mon compte piraté".encode()).category == "account"  # type: ignore[arg-type]


def test_html_is_cleaned_for_rules(analyzer):
    result = analyzer.analyse("<div>Mon <b>colis</b> n&#39;est jamais arriv&eacute;</div>")
    assert result.language == "fr"
    assert result.category == "delivery"


def test_long_text_is_fast(analyzer):
    text = ("Mon colis n'est jamais arrivé et personne ne répond. " * 400)[:20_000]
    analyzer.analyse(text)
    start = time.perf_counter()
    result = analyzer.analyse(text)
    assert time.perf_counter() - start < 0.25
    assert result.category == "delivery"
    assert result.language == "fr"
