"""The public transparency page: opt-in, cached, in the visitor's language, no personal data."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.dashboard import upkeep
from app.extensions import db
from app.models import Brand, BrandReportSettings, Channel, utcnow
from app.status import services as status
from tests.dashboard.conftest import Reply, Spec, build


@pytest.fixture(autouse=True)
def _fresh_cache(app: Flask) -> Iterator[None]:
    with app.app_context():
        status.clear_cache()
    yield
    with app.app_context():
        status.clear_cache()


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


def test_a_burst_at_expiry_is_one_computation(app: Flask, client: FlaskClient,
                                              brand_channels: tuple[Brand, Channel, Channel],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Many threads of one process missing the cache at once: one computes, the rest wait."""
    brand, _x, _fb = brand_channels
    _publish(brand)
    slow = status.compute

    def compute(slug: str) -> status.PublicStatus | None:
        time.sleep(0.2)  # long enough for every thread to arrive while it computes
        return slow(slug)

    monkeypatch.setattr(status, "compute", compute)
    before = status.COMPUTED[0]
    codes: list[int] = []

    def visit() -> None:
        codes.append(client.get("/status/test-brand.json").status_code)

    threads = [threading.Thread(target=visit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 8
    assert status.COMPUTED[0] == before + 1


def test_the_cache_expires_after_a_minute(client: FlaskClient,
                                          brand_channels: tuple[Brand, Channel, Channel],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    brand, _x, _fb = brand_channels
    _publish(brand)
    before = status.COMPUTED[0]
    assert client.get("/status/test-brand.json").status_code == 200
    now = time.time()
    monkeypatch.setattr(status.time, "time", lambda: now + status.CACHE_SECONDS - 1)
    assert client.get("/status/test-brand.json").status_code == 200
    assert status.COMPUTED[0] == before + 1
    monkeypatch.setattr(status.time, "time", lambda: now + status.CACHE_SECONDS + 1)
    assert client.get("/status/test-brand.json").status_code == 200
    assert status.COMPUTED[0] == before + 2


def test_web_processes_share_the_figures_through_redis(
        app: Flask, client: FlaskClient, brand_channels: tuple[Brand, Channel, Channel]) -> None:
    """With REDIS_URL, a second process (an empty memory) reads the first one's copy."""
    if not app.config.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL (the PostgreSQL + Redis run of the suite)")
    brand, x, _fb = brand_channels
    _publish(brand)
    _answered(x, 4, 10, timedelta(hours=1))
    upkeep.refresh()
    before = status.COMPUTED[0]
    first = client.get("/status/test-brand.json").get_json()
    for _ in range(3):  # three more processes: each starts with an empty memory
        status.CACHE.clear()
        assert client.get("/status/test-brand.json").get_json() == first
        assert client.get("/status/test-brand/badge.svg").status_code == 200
    assert status.COMPUTED[0] == before + 1
    # A process that finds another one computing waits for its copy instead of computing.
    with app.app_context():
        status.clear_cache()
        shared = status.shared_cache()
        assert shared is not None and shared.lease("test-brand")
        value = status.compute("test-brand")
    computed = status.COMPUTED[0]

    def publish_later() -> None:
        time.sleep(0.3)
        shared.write("test-brand", value, time.time() + 60)

    writer = threading.Thread(target=publish_later)
    writer.start()
    assert client.get("/status/test-brand.json").get_json()["last_30_days"] == \
        first["last_30_days"]
    writer.join()
    assert status.COMPUTED[0] == computed


def test_redis_unreachable_each_process_computes_once_a_minute(
        app: Flask, client: FlaskClient, brand_channels: tuple[Brand, Channel, Channel],
        monkeypatch: pytest.MonkeyPatch) -> None:
    brand, _x, _fb = brand_channels
    _publish(brand)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens
    monkeypatch.delitem(app.extensions, "care_status_cache", raising=False)
    before = status.COMPUTED[0]
    for _ in range(5):
        assert client.get("/status/test-brand.json").status_code == 200
    assert status.COMPUTED[0] == before + 1
    monkeypatch.delitem(app.extensions, "care_status_cache", raising=False)
