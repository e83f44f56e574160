"""Admin pages for business hours, SLA targets and the brand's extra triage words."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import triage
from app.admin.brand_settings import current
from app.extensions import db
from app.models import Brand, Thread, User
from app.sla.policy import policy_for
from app.threads import apply_due_times


@pytest.fixture
def admin_client(client: FlaskClient, make_user: Callable[..., User],
                 login: Callable[..., Any]) -> FlaskClient:
    login(make_user("admin"))
    return client


def _form(brand: Brand | None = None, **changes: Any) -> dict[str, Any]:
    data = current((brand.settings if brand else None) or {})
    data.update(changes)
    return {k: v for k, v in data.items()}


def _value(html: str, name: str) -> str | None:
    """The value of the input named ``name`` in the page."""
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    value = re.search(r'value="([^"]*)"', tag.group(0)) if tag else None
    return value.group(1) if value else None


def _brand() -> Brand:
    return db.session.scalar(db.select(Brand).limit(1))


def test_page_shows_the_seeds_defaults(admin_client: FlaskClient) -> None:
    html = admin_client.get("/admin/brand").get_data(as_text=True)
    # A week grid: seven days, professionals Monday to Friday, private customers every day
    # but Sunday.
    assert html.count('<th scope="row">') == 7
    assert _value(html, "hours_professional_mon") == "09:00-18:00"
    assert _value(html, "hours_private_sat") == "09:00-19:00"
    assert _value(html, "hours_professional_sat") == ""
    assert _value(html, "hours_private_sun") == ""
    assert "Europe/Paris" in html


def test_saving_changes_the_sla_clock(app: Flask, admin_client: FlaskClient,
                                      make_thread: Callable[..., Thread]) -> None:
    thread = make_thread("hello", priority=10.0)
    closed = {f"hours_private_{d}": "" for d in ("wed", "thu", "fri", "sat", "sun")}
    data = _form(hours_private_mon="09:00-12:00", hours_private_tue="09:00-12:00", **closed,
                 first_response_private_low_hours=0, first_response_private_low_minutes=15)
    response = admin_client.post("/admin/brand", data=data)
    assert response.status_code == 302
    brand = _brand()
    db.session.refresh(brand)
    calendars, targets = policy_for(brand)
    assert calendars["private"].to_dict()["week"]["wed"] == []
    # Monday 11:50 Paris + 15 business minutes, closing at 12:00 -> Tuesday 09:05 Paris.
    received = datetime(2026, 11, 23, 10, 50, tzinfo=UTC)
    thread.priority = 10.0
    apply_due_times(thread, brand, "private", received)
    assert thread.first_response_due == datetime(2026, 11, 24, 8, 5, tzinfo=UTC)
    assert targets.to_dict()["first_response"]["private"]["low"] == 15


@pytest.mark.parametrize("field,value,message", [
    ("hours_private_mon", "9h-10h", "is not like 09:00-18:00"),
    ("hours_professional_mon", "18:00-09:00", "must be after"),
    ("timezone", "Mars/Olympus", "zone"),
    ("words_fr", "livraisons colis", "write it as"),
    ("words_en", "shipping: parcel", "is neither a category"),
    ("order_patterns", "CMD-(\\d+", "invalid pattern"),
    ("first_response_private_urgent_minutes", "75", "Between 0 and 59 minutes."),
    ("first_response_private_urgent_hours", "-1", "Between 0 and 8760 hours."),
])
def test_bad_fields_get_a_message_beside_them(admin_client: FlaskClient, field: str,
                                              value: str, message: str) -> None:
    before = _brand().settings if _brand() else None
    response = admin_client.post("/admin/brand", data=_form(**{field: value}))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    # The error sits in the field's own block.
    block = html[html.index(f'name="{field}"'):]
    assert message in block[:block.index("</div>") + 400] or message in html
    brand = _brand()
    assert (brand.settings if brand else None) == before


def test_brand_words_reach_the_triage(app: Flask, admin_client: FlaskClient) -> None:
    text = "où en sont mes points zénith ?"
    assert triage.analyse(text).category != "account"
    response = admin_client.post("/admin/brand", data=_form(words_fr="account: points zenith"))
    assert response.status_code == 302
    brand = _brand()
    assert triage.analyse(text, brand.settings).category == "account"


def test_only_admins(client: FlaskClient, make_user: Callable[..., User],
                     login: Callable[..., Any]) -> None:
    login(make_user("supervisor"))
    assert client.get("/admin/brand").status_code == 403


def test_targets_read_in_hours_and_minutes(admin_client: FlaskClient) -> None:
    data = _form(first_response_professional_normal_hours=1,
                 first_response_professional_normal_minutes=30)
    assert admin_client.post("/admin/brand", data=data).status_code == 302
    _, targets = policy_for(_brand())
    assert targets.to_dict()["first_response"]["professional"]["normal"] == 90
    html = admin_client.get("/admin/brand").get_data(as_text=True)
    assert _value(html, "first_response_professional_normal_hours") == "1"
    assert _value(html, "first_response_professional_normal_minutes") == "30"
    # Zero hours and zero minutes is no target at all.
    data = _form(_brand(), first_response_private_urgent_hours=0,
                 first_response_private_urgent_minutes=0)
    response = admin_client.post("/admin/brand", data=data)
    assert response.status_code == 400
    assert "at least one minute" in response.get_data(as_text=True)


def test_preview_shows_the_next_due_time_without_saving(admin_client: FlaskClient) -> None:
    before = _brand().settings if _brand() else None
    # A private customer's normal-priority message on Saturday 5 December 2026 at 18:30
    # (Paris): private hours end at 19:00 on Saturdays and Sunday is closed, so a one-hour
    # target under hours typed but not saved ends on Monday at 09:30.
    data = _form(first_response_private_normal_hours=1, first_response_private_normal_minutes=0,
                 sample_at="2026-12-05T18:30", sample_segment="private", sample_band="normal",
                 preview="y")
    data.pop("submit", None)
    response = admin_client.post("/admin/brand", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    result = html[html.index('class="preview-result"'):]
    result = result[:result.index("</p>")]
    assert "Saturday 5 December 2026, 18:30" in result
    assert "Monday 7 December 2026, 09:30" in result
    brand = _brand()
    assert (brand.settings if brand else None) == before  # nothing saved
    # The page opened plainly previews a message arriving now under the saved settings.
    assert 'class="preview-result"' in admin_client.get("/admin/brand").get_data(as_text=True)
