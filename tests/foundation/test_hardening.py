"""Ids beyond the database's integer range answer 404 on every route; security headers on
every response (Flask-Talisman), HSTS in production only."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.hardening import MAX_DB_INT
from app.models import User

HUGE = "99999999999999999999999"


def _int_routes(app: Flask) -> list[tuple[str, str, str]]:
    """(rule, method, url with every int replaced by HUGE) for each route with an int id."""
    found = []
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        url = re.sub(r"<int:[^>]+>", HUGE, rule.rule)
        url = re.sub(r"<[^>]+>", "x", url)
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        found.extend((rule.rule, method, url) for method in methods)
    return found


def test_every_int_route_answers_404_beyond_the_integer_range(
        app: Flask, client: FlaskClient, make_user: Callable[..., User],
        login: Callable[..., Any]) -> None:
    login(make_user("admin"))
    routes = _int_routes(app)
    assert len(routes) > 40  # the inbox, tickets, admin, channels... all use <int:>
    wrong = []
    for rule, method, url in routes:
        response = client.open(url, method=method)
        if response.status_code != 404:
            wrong.append((rule, method, response.status_code))
    assert wrong == []


def test_the_largest_id_still_routes(client: FlaskClient, make_user: Callable[..., User],
                                     login: Callable[..., Any]) -> None:
    login(make_user("agent"))
    assert client.get(f"/inbox/threads/{MAX_DB_INT}").status_code == 404  # no such row
    assert client.get(f"/inbox/threads/{MAX_DB_INT + 1}").status_code == 404
    assert client.get("/inbox/threads/99999999999999999999999").status_code == 404


@pytest.mark.parametrize("path", ["/login", "/no-such-page", "/static/css/care.css"])
def test_security_headers_on_every_response(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # not in development


def test_hsts_in_production_over_https(database_url: str) -> None:
    from app import create_app
    from tests.helpers import app_settings

    prod = create_app(app_settings(database_url, ENV="production"))
    response = prod.test_client().get("/login", base_url="https://care.example")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    proxied = prod.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in proxied.headers


def test_templates_have_no_inline_script_or_handler() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = []
    for template in root.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for match in re.finditer(r"<script(?P<attrs>[^>]*)>", text):
            attrs = match.group("attrs")
            if "src=" not in attrs and 'type="application/json"' not in attrs:
                offenders.append(f"{template.name}: inline script")
        if re.search(r"\son[a-z]+\s*=", text) or re.search(r"\sstyle\s*=", text):
            offenders.append(f"{template.name}: inline handler or style")
    assert offenders == []
