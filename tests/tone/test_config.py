"""A brand extends word lists and patterns through ToneConfig."""

from __future__ import annotations

import pytest

from tone import Analyzer, ToneConfig, get_analyzer


@pytest.fixture(scope="module")
def brand() -> Analyzer:
    config = ToneConfig.from_dict(
        {
            "extra_words": {"fr": {"payment": {"tirelire magique": 5}, "delivery": ["vélotaxi"]}},
            "extra_urgency": {"fr": {"scam": ["faux conseiller"]}, "en": {"safety": ["flood"]}},
            "order_patterns": [r"\bLBC-(?P<ref>\d{8})\b"],
            "tracking_patterns": [r"\b(?P<ref>VT\d{6})\b"],
            "priority_weights": {"reach": 30},
        }
    )
    return Analyzer(config)


def test_default_does_not_know_brand_words(analyzer):
    # Without the brand's words the phrase is not read as the brand's category (what the
    # classifier makes of a content-free phrase is not the point here).
    assert analyzer.analyse("ma tirelire magique a disparu").category != "payment"
    assert analyzer.analyse("ma tirelire magique a disparu").urgency_names == ()
    assert analyzer.detect_pii("ref LBC-12345678 et VT123456") == []


def test_extra_words_and_urgency(brand):
    assert brand.analyse("ma tirelire magique a disparu").category == "payment"
    assert brand.analyse("le vélotaxi n'est pas venu").category == "delivery"
    flags = brand.analyse("un faux conseiller m'appelle").urgency
    assert [(f.name, f.triggers) for f in flags] == [("scam", ("faux conseiller",))]
    assert "safety" in brand.analyse("there is a flood in the depot").urgency_names


def test_extra_patterns(brand):
    found = brand.detect_pii("ref LBC-12345678 et colis VT123456")
    assert [(p.kind, p.text) for p in found] == [("order", "12345678"), ("tracking", "VT123456")]


def test_priority_weights_carried(brand):
    assert brand.config.priority_weights.reach == 30


def test_invalid_config_rejected():
    with pytest.raises(ValueError):
        ToneConfig.from_dict({"extra_words": {"fr": {"nope": ["x"]}}})
    with pytest.raises(ValueError):
        ToneConfig.from_dict({"extra_urgency": {"fr": {"panic": ["x"]}}})
    with pytest.raises(ValueError):
        ToneConfig(order_patterns=("(unclosed",))
    with pytest.raises(ValueError):
        ToneConfig.from_dict({"typo_key": 1})


def test_get_analyzer_is_cached_per_config():
    assert get_analyzer() is get_analyzer()
    cfg = ToneConfig.from_dict({"extra_words": {"en": {"praise": ["stellar"]}}})
    same = ToneConfig.from_dict({"extra_words": {"en": {"praise": ["stellar"]}}})
    assert get_analyzer(cfg) is get_analyzer(same)
    assert get_analyzer(cfg) is not get_analyzer()
