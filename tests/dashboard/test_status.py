"""The public transparency page: opt-in, cached, in the visitor's language, no personal data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from app.dashboard import upkeep
from app.extensions import db
from app.models import Brand, BrandReportSettings, Channel, utcnow
from app.status import services as status
from tests.dashboard.conftest import Reply, Spec, build


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    status.CACHE.clear()
    yield
    status.CACHE.clear()


def _publish(brand: Brand, minimum: int = 3) -> None:
    db.session.add(BrandReportSettings(brand_id=brand.id, surveys_enabled=False,
                                       survey_fallback="skip", survey_cooldown_days=30,
                                       survey_valid_days=14, public_page=True,
                                       public_min_threads=minimum))
    db.session.commit()


def _answered(channel: Channel, count: int, minutes: float, ago: timedelta) -> None:
    for _ in range(count):
        opened = utcnow() - ago
        build(Spec(opened, [Reply(opened + timedelta(minutes=minutes))]), channel)


def test_not_published_is_not_found(client: FlaskClient,
                                    brand_channels: tuple[Brand, Channel, Channel]) -> None:
    for url in ("/status/test-brand", "/status/test-brand.json", "/status/test-brand/badge.svg",
                "/status/nobody"):
        assert client.get(url).status_code == 404


def test_page_json_and_badge(client: FlaskClient,
                             brand_channels: tuple[Brand, Channel, Channel]) -> None:
    brand, x, _fb = brand_channels
    _publish(brand)
    _answered(x, 4, 10, timedelta(hours=1, minutes=30))
    build(Spec(utcnow() - timedelta(hours=3)), x)  # unanswered: 4 of 5 answered
    upkeep.refresh()
    page = client.get("/status/test-brand", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    # The median is read from the rollups' histogram: within the 10-15 minute bucket.
    assert "We answer 80% of public questions, median 1" in text
    assert "Expected wait: about 10 minutes." in text
    assert not re.search(r"cust\d", text)  # no customer handle
    assert page.headers["Cache-Control"] == "public, max-age=60"
    data = client.get("/status/test-brand.json").get_json()
    assert data["last_30_days"]["answered_share"] == 0.8
    assert 600 <= data["last_30_days"]["median_first_response_seconds"] < 900
    assert data["right_now"]["replies_last_two_hours"] == 4
    assert data["very_responsive"] is False  # 80% < 90%
    assert set(data["business_hours"]) == {"professional", "private"}
    # No thread content and no customer in the JSON.
    dumped = str(data)
    assert not re.search(r"cust\d|'help'|'answer'", dumped)
    badge = client.get("/status/test-brand/badge.svg")
    assert badge.mimetype == "image/svg+xml"
    assert "80%" in badge.get_data(as_text=True)


def test_french_visitor(client: FlaskClient,
                        brand_channels: tuple[Brand, Channel, Channel]) -> None:
    brand, x, _fb = brand_channels
    _publish(brand)
    _answered(x, 5, 5, timedelta(hours=1))
    upkeep.refresh()
    page = client.get("/status/test-brand", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    text = page.get_data(as_text=True)
    assert 'lang="fr"' in text
    assert "Très réactif" in text
    assert "lundi" in text
    badge = client.get("/status/test-brand/badge.svg", headers={"Accept-Language": "fr"})
    assert "Très réactif" in badge.get_data(as_text=True)


def test_very_responsive_needs_share_and_median(
        client: FlaskClient, brand_channels: tuple[Brand, Channel, Channel]) -> None:
    brand, x, _fb = brand_channels
    _publish(brand)
    _answered(x, 10, 20, timedelta(days=1))  # all answered, but median 20 minutes
    upkeep.refresh()
    assert client.get("/status/test-brand.json").get_json()["very_responsive"] is False


def test_minimum_threads_hides_figures(client: FlaskClient,
                                       brand_channels: tuple[Brand, Channel, Channel]) -> None:
    brand, x, _fb = brand_channels
    _publish(brand, minimum=50)
    _answered(x, 5, 5, timedelta(hours=1))
    upkeep.refresh()
    data = client.get("/status/test-brand.json").get_json()
    assert data["last_30_days"]["shown"] is False
    assert data["last_30_days"]["answered_share"] is None
    assert data["very_responsive"] is False
    assert "Not enough questions" in client.get(
        "/status/test-brand", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_served_from_cache_once_a_minute(client: FlaskClient,
                                         brand_channels: tuple[Brand, Channel, Channel]) -> None:
    brand, _x, _fb = brand_channels
    _publish(brand)
    before = status.COMPUTED[0]
    for url in ("/status/test-brand", "/status/test-brand.json",
                "/status/test-brand/badge.svg") * 5:
        assert client.get(url).status_code == 200
    assert status.COMPUTED[0] == before + 1
