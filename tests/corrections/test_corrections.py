"""Agents correct a thread's triage in one click; corrections are stored and exported."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.corrections import services
from app.extensions import db
from app.models import AuditEvent, Thread, TriageCorrection, User


def _post(client: FlaskClient, thread: Thread, category: str, flags: list[str],
          version: int | None = None) -> Any:
    data: dict[str, Any] = {"triage-category": category, "triage-urgency": flags}
    if version is not None:
        data["triage-version"] = str(version)
    return client.post(f"/inbox/threads/{thread.id}/triage", data=data)


def test_agent_corrects_category_and_urgency_in_one_post(
        client: FlaskClient, make_user: Callable[..., User], make_thread: Callable[..., Thread],
        login: Callable[..., Any]) -> None:
    agent = make_user("agent")
    thread = make_thread("Mes 400 € sont bloqués depuis trois semaines", category="payment",
                         urgency=[], priority=10.0)
    login(agent)
    response = _post(client, thread, "payment", ["money_blocked"], thread.version)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/inbox/threads/{thread.id}")
    db.session.expire_all()
    stored = db.session.get(Thread, thread.id)
    assert stored is not None
    assert stored.urgency == ["money_blocked"]
    assert stored.priority > 10.0  # an urgent thread climbs the inbox
    corrections = db.session.scalars(select(TriageCorrection)).all()
    assert len(corrections) == 1
    c = corrections[0]
    assert (c.user_id, c.thread_id) == (agent.id, thread.id)
    assert (c.category_before, c.category_after) == ("payment", "payment")
    assert (c.urgency_before, c.urgency_after) == ([], ["money_blocked"])
    assert c.text.startswith("Mes 400")
    assert c.created_at is not None
    audit = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "triage_corrected")).one()
    assert audit.actor_id == agent.id and audit.object_id == thread.id


def test_unknown_labels_and_stale_versions_are_refused(
        client: FlaskClient, make_user: Callable[..., User], make_thread: Callable[..., Thread],
        login: Callable[..., Any]) -> None:
    thread = make_thread("colis perdu", category="delivery", urgency=[])
    login(make_user("agent"))
    page = _post(client, thread, "shipping", [])
    assert page.status_code == 302
    _post(client, thread, "delivery", ["on_fire"])
    _post(client, thread, "fraud", [], version=thread.version + 5)
    assert db.session.scalars(select(TriageCorrection)).all() == []
    follow = client.get(f"/inbox/threads/{thread.id}")
    assert follow.status_code == 200


def test_nothing_changed_stores_nothing(app: Flask, make_user: Callable[..., User],
                                        make_thread: Callable[..., Thread]) -> None:
    thread = make_thread("merci !", category="praise", urgency=[])
    assert services.correct(make_user("agent"), thread, "praise", []) is None
    assert db.session.scalars(select(TriageCorrection)).all() == []


def test_safety_flag_puts_the_thread_first(app: Flask, make_user: Callable[..., User],
                                           make_thread: Callable[..., Thread]) -> None:
    agent = make_user("agent")
    hacked = make_thread("compte piraté", category="account", urgency=[])
    danger = make_thread("la batterie a pris feu", category="technical", urgency=[])
    services.correct(agent, hacked, "account", ["hacked_account"])
    services.correct(agent, danger, "technical", ["safety"])
    assert danger.priority > hacked.priority


def test_thread_page_shows_the_form_and_sentiment_as_a_word(
        client: FlaskClient, make_user: Callable[..., User], make_thread: Callable[..., Thread],
        login: Callable[..., Any]) -> None:
    thread = make_thread("Remboursement refusé… je vais saisir la DGCCRF",
                         category="dispute", urgency=["public_threat"])
    message = thread.messages[0]
    message.language, message.polarity, message.category = "fr", 0.16, "dispute"
    message.urgency = [{"name": "public_threat", "triggers": ["dgccrf"]}]
    db.session.commit()
    login(make_user("agent"))
    html = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    assert f'action="/inbox/threads/{thread.id}/triage"' in html
    assert 'class="sentiment sentiment-negative"' in html
    assert "+0.16" in html  # the raw polarity stays on hover
    assert "sentiment +0.16" not in html


@pytest.mark.parametrize("role", ["brand"])
def test_brand_team_cannot_correct(client: FlaskClient, make_user: Callable[..., User],
                                   make_thread: Callable[..., Thread],
                                   login: Callable[..., Any], role: str) -> None:
    thread = make_thread()
    login(make_user(role))
    assert _post(client, thread, "fraud", []).status_code == 403


def test_export_writes_labelled_lines(app: Flask, make_user: Callable[..., User],
                                      make_thread: Callable[..., Thread], tmp_path: Any) -> None:
    agent = make_user("agent")
    first = make_thread("where is my parcel", category="other", urgency=[])
    second = make_thread("my router is smoking", category="technical", urgency=[])
    services.correct(agent, first, "delivery", [])
    services.correct(agent, second, "technical", ["safety"])
    services.correct(agent, first, "delivery", ["abuse"])  # the last correction wins
    out = tmp_path / "export.jsonl"
    result = app.test_cli_runner().invoke(args=["triage", "export", "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_text = {line["text"]: line for line in lines}
    assert set(by_text) == {"where is my parcel", "my router is smoking"}
    assert by_text["where is my parcel"]["category"] == "delivery"
    assert by_text["where is my parcel"]["urgency"] == ["abuse"]
    assert by_text["my router is smoking"]["urgency"] == ["safety"]
    assert by_text["my router is smoking"]["corrected_by"] == agent.email

    from tone.corpus import load_extra

    out.rename(tmp_path / "agents.jsonl")
    rows = load_extra(tmp_path)
    assert {r["category"] for r in rows} == {"delivery", "technical"}
    assert all(r["split"] == "train" for r in rows)
