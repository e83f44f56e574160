"""Admin pages for business hours, SLA targets and the brand's extra triage words."""

from __future__ import annotations

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


def _brand() -> Brand:
    return db.session.scalar(db.select(Brand).limit(1))


def test_page_shows_the_seeds_defaults(admin_client: FlaskClient) -> None:
    html = admin_client.get("/admin/brand").get_data(as_text=True)
    assert "mon 09:00-18:00" in html  # professionals, Monday to Friday
    assert "sat 09:00-19:00" in html  # private customers, every day but Sunday
    assert "Europe/Paris" in html


def test_saving_changes_the_sla_clock(app: Flask, admin_client: FlaskClient,
                                      make_thread: Callable[..., Thread]) -> None:
    thread = make_thread("hello", priority=10.0)
    data = _form(week_private="mon 09:00-12:00\ntue 09:00-12:00",
                 first_response_private_low=15)
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
    ("week_private", "funday 09:00-10:00", "is not a day"),
    ("week_private", "mon 9h-10h", "is not like 09:00-18:00"),
    ("week_professional", "mon 18:00-09:00", "must be after"),
    ("timezone", "Mars/Olympus", "zone"),
    ("words_fr", "livraisons colis", "write it as"),
    ("words_en", "shipping: parcel", "is neither a category"),
    ("order_patterns", "CMD-(\\d+", "invalid pattern"),
    ("first_response_private_urgent", "0", "Between 1 minute and a year."),
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
