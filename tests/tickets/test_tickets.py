"""Tickets from the thread page, ticket pages, the list, escalation."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from freezegun import freeze_time

from app.extensions import db
from app.models import AuditEvent, Author, Thread, Ticket, User, utcnow
from app.tickets.services import create_for_thread, escalate_due


def _thread(thread_id: int) -> Thread:
    db.session.expire_all()
    return db.session.get(Thread, thread_id)


def test_create_ticket_with_tracking_number(client: FlaskClient,
                                            make_user: Callable[..., User],
                                            make_thread: Callable[..., Thread],
                                            login: Callable[..., Any]) -> None:
    thread = make_thread()
    login(make_user("agent"))
    response = client.post(f"/tickets/threads/{thread.id}/create")
    assert response.status_code == 302
    ticket = db.session.get(Ticket, _thread(thread.id).ticket_id)
    assert re.fullmatch(rf"CARE-{utcnow().year}-\d{{6}}", ticket.tracking_number)
    assert ticket.tracking_number.endswith(f"{ticket.id:06d}")
    page = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    assert f'data-insert="{ticket.tracking_number}"' in page
    assert "Insert the tracking number in the reply" in page
    assert f"Ticket {ticket.tracking_number} created." in page
    # A second ticket for the same thread is refused with a message.
    page = client.post(f"/tickets/threads/{thread.id}/create",
                       follow_redirects=True).get_data(as_text=True)
    assert "already linked to a ticket" in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Ticket)) == 1


def test_one_ticket_gathers_threads_of_the_same_author(
        client: FlaskClient, make_user: Callable[..., User],
        make_author: Callable[..., Author], make_thread: Callable[..., Thread],
        login: Callable[..., Any]) -> None:
    author = make_author()
    first = make_thread(author=author)
    second = make_thread(author=author, channel=first.channel)
    stranger = make_thread()
    login(make_user("agent"))
    client.post(f"/tickets/threads/{first.id}/create")
    ticket_id = _thread(first.id).ticket_id
    page = client.get(f"/inbox/threads/{second.id}").get_data(as_text=True)
    assert "Customer&#39;s tickets" in page or "Customer's tickets" in page
    assert f'<option value="{ticket_id}">' in page
    assert client.post(f"/tickets/threads/{second.id}/attach",
                       data={"attach-ticket_id": str(ticket_id)}).status_code == 302
    assert _thread(second.id).ticket_id == ticket_id
    # Another customer's ticket is refused, beside the field.
    response = client.post(f"/tickets/threads/{stranger.id}/attach",
                           data={"attach-ticket_id": str(ticket_id)})
    assert response.status_code == 400
    assert "does not belong to this customer" in response.get_data(as_text=True)
    assert _thread(stranger.id).ticket_id is None
    response = client.post(f"/tickets/threads/{stranger.id}/attach", data={"attach-ticket_id": "x"})
    assert response.status_code == 400
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert page.count('href="/inbox/threads/') == 2


def test_external_reference_and_url_pattern(app: Any, client: FlaskClient, monkeypatch: Any,
                                            make_user: Callable[..., User],
                                            make_thread: Callable[..., Thread],
                                            login: Callable[..., Any]) -> None:
    monkeypatch.setitem(app.config, "EXTERNAL_TICKET_URL",
                        "https://help.example.com/tickets/{ref}")
    thread = make_thread()
    login(make_user("agent"))
    response = client.post(f"/tickets/threads/{thread.id}/external",
                           data={"external-reference": "<script>"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="external-reference-err"' in page and "A helpdesk reference is made of" in page
    assert _thread(thread.id).ticket_id is None
    response = client.post(f"/tickets/threads/{thread.id}/external",
                           data={"external-reference": "ZD-4521"})
    assert response.status_code == 302
    page = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    assert 'href="https://help.example.com/tickets/ZD-4521"' in page
    assert 'data-insert="ZD-4521"' in page
    ticket_id = _thread(thread.id).ticket_id
    assert "https://help.example.com/tickets/ZD-4521" in \
        client.get(f"/tickets/{ticket_id}").get_data(as_text=True)


def test_ticket_status_change(client: FlaskClient, make_user: Callable[..., User],
                              make_thread: Callable[..., Thread],
                              login: Callable[..., Any]) -> None:
    agent = make_user("agent")
    thread = make_thread()
    ticket = create_for_thread(agent, thread)
    login(agent)
    client.post(f"/tickets/{ticket.id}/status", data={"status": "resolved"})
    db.session.expire_all()
    fresh = db.session.get(Ticket, ticket.id)
    assert fresh.status == "resolved" and fresh.resolved_at is not None
    page = client.post(f"/tickets/{ticket.id}/status", data={"status": "escalated"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Unknown ticket status." in page  # only the job escalates
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == "resolved"
    client.post(f"/tickets/{ticket.id}/status", data={"status": "open"})
    db.session.expire_all()
    reopened = db.session.get(Ticket, ticket.id)
    assert reopened.status == "open" and reopened.resolved_at is None
    assert reopened.escalate_at > utcnow() + timedelta(days=6)
    assert db.session.scalar(db.select(AuditEvent).filter_by(
        action="ticket_status_changed", object_id=ticket.id)) is not None
    assert client.post("/tickets/987654/status", data={"status": "open"}).status_code == 404
    assert client.get("/tickets/987654").status_code == 404


def test_escalation_after_7_days_private_3_days_professional(
        make_user: Callable[..., User], make_author: Callable[..., Author],
        make_thread: Callable[..., Thread]) -> None:
    agent = make_user("agent")
    start = utcnow()
    with freeze_time(start):
        private = create_for_thread(agent, make_thread(author=make_author(segment="private")))
        pro = create_for_thread(agent, make_thread(
            author=make_author(segment="professional")))
    with freeze_time(start + timedelta(days=2, hours=23)):
        assert escalate_due() == 0
    with freeze_time(start + timedelta(days=3, minutes=1)):
        assert escalate_due() == 1
    db.session.expire_all()
    assert db.session.get(Ticket, pro.id).status == "escalated"
    assert db.session.get(Ticket, private.id).status == "open"
    with freeze_time(start + timedelta(days=7, minutes=1)):
        assert escalate_due() == 1
    db.session.expire_all()
    assert db.session.get(Ticket, private.id).status == "escalated"


def test_tickets_list_and_escalated_filter(client: FlaskClient, app: Any,
                                           make_user: Callable[..., User],
                                           make_thread: Callable[..., Thread],
                                           login: Callable[..., Any]) -> None:
    agent, supervisor = make_user("agent"), make_user("supervisor")
    calm = create_for_thread(agent, make_thread())
    late = create_for_thread(agent, make_thread())
    late.escalate_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    escalate_due()
    login(supervisor)
    page = client.get("/tickets?status=escalated").get_data(as_text=True)
    assert late.tracking_number in page and calm.tracking_number not in page
    assert "ticket-row escalated highlight" in page
    page = client.get("/tickets").get_data(as_text=True)
    assert page.index(late.tracking_number) < page.index(calm.tracking_number)
    page = client.get("/tickets?status=nonsense").get_data(as_text=True)
    assert "Unknown ticket status" in page
    agent_client = app.test_client()
    login(agent, c=agent_client)
    page = agent_client.get("/tickets?status=escalated").get_data(as_text=True)
    assert "highlight" not in page and late.tracking_number in page


def test_brand_team_has_no_tickets(client: FlaskClient, make_user: Callable[..., User],
                                   make_thread: Callable[..., Thread],
                                   login: Callable[..., Any]) -> None:
    thread = make_thread()
    login(make_user("brand"))
    assert client.get("/tickets").status_code == 403
    assert client.post(f"/tickets/threads/{thread.id}/create").status_code == 403
    assert _thread(thread.id).ticket_id is None
