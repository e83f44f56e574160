"""Working the inbox: claim, assign, status, close as abusive, bulk actions, audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from app.extensions import db
from app.models import AuditEvent, RealtimeEvent, Thread, User


def _reload(thread_id: int) -> Thread:
    db.session.expire_all()
    return db.session.get(Thread, thread_id)


def _actions(thread_id: int) -> list[str]:
    return list(db.session.scalars(db.select(AuditEvent.action).where(
        AuditEvent.object_type == "thread", AuditEvent.object_id == thread_id)
        .order_by(AuditEvent.id)))


def _published(thread_id: int) -> int:
    events = db.session.scalars(db.select(RealtimeEvent).where(
        RealtimeEvent.name == "thread.updated"))
    return sum(1 for e in events if e.payload.get("id") == thread_id)


def test_claim_takes_the_thread(client: FlaskClient, make_user: Callable[..., User],
                                make_thread: Callable[..., Thread],
                                login: Callable[..., Any]) -> None:
    agent = make_user("agent")
    thread = make_thread()
    login(agent)
    response = client.post(f"/inbox/threads/{thread.id}/claim",
                           data={"claim-version": str(thread.version)})
    assert response.status_code == 302
    fresh = _reload(thread.id)
    assert fresh.assignee_id == agent.id
    assert fresh.status == "open"
    assert fresh.version == 2
    assert _actions(thread.id) == ["claimed"]
    assert _published(thread.id) == 1
    page = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    assert "The thread is yours." in page
    assert "took the thread" in page  # the audit panel


def test_claim_from_someone_else_is_a_take_over(client: FlaskClient,
                                                make_user: Callable[..., User],
                                                make_thread: Callable[..., Thread],
                                                login: Callable[..., Any]) -> None:
    first, second = make_user("agent"), make_user("agent")
    thread = make_thread(assignee_id=first.id, status="open")
    login(second)
    client.post(f"/inbox/threads/{thread.id}/claim")
    assert _reload(thread.id).assignee_id == second.id
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="taken_over"))
    assert event.details["from_assignee_id"] == first.id


def test_stale_version_is_refused(client: FlaskClient, make_user: Callable[..., User],
                                  make_thread: Callable[..., Thread],
                                  login: Callable[..., Any]) -> None:
    thread = make_thread(version=5)
    login(make_user("agent"))
    response = client.post(f"/inbox/threads/{thread.id}/claim", data={"claim-version": "4"},
                           follow_redirects=True)
    assert "changed in the meantime" in response.get_data(as_text=True)
    assert _reload(thread.id).assignee_id is None
    assert _actions(thread.id) == []


def test_garbage_version_is_refused_without_a_trace(client: FlaskClient,
                                                    make_user: Callable[..., User],
                                                    make_thread: Callable[..., Thread],
                                                    login: Callable[..., Any]) -> None:
    thread = make_thread()
    login(make_user("agent"))
    response = client.post(f"/inbox/threads/{thread.id}/status",
                           data={"thread-status": "open", "thread-version": "abc"},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "form was incomplete" in response.get_data(as_text=True)
    assert _reload(thread.id).status == "new"


def test_supervisor_assigns_and_agent_cannot(client: FlaskClient, app: Any,
                                             make_user: Callable[..., User],
                                             make_thread: Callable[..., Thread],
                                             login: Callable[..., Any]) -> None:
    agent, supervisor = make_user("agent"), make_user("supervisor")
    thread = make_thread()
    login(agent)
    assert client.post(f"/inbox/threads/{thread.id}/assign",
                       data={"assign-assignee": str(agent.id)}).status_code == 403
    assert _reload(thread.id).assignee_id is None
    other = app.test_client()
    login(supervisor, c=other)
    response = other.post(f"/inbox/threads/{thread.id}/assign",
                          data={"assign-assignee": str(agent.id)})
    assert response.status_code == 302
    fresh = _reload(thread.id)
    assert fresh.assignee_id == agent.id
    assert fresh.status == "open"
    assert _actions(thread.id) == ["assigned"]
    # Unassign with the empty choice.
    other.post(f"/inbox/threads/{thread.id}/assign", data={"assign-assignee": ""})
    assert _reload(thread.id).assignee_id is None


def test_assign_to_brand_user_or_unknown_is_refused(client: FlaskClient,
                                                    make_user: Callable[..., User],
                                                    make_thread: Callable[..., Thread],
                                                    login: Callable[..., Any]) -> None:
    supervisor, brand = make_user("supervisor"), make_user("brand")
    thread = make_thread()
    login(supervisor)
    for value in (str(brand.id), "999999", "x"):
        page = client.post(f"/inbox/threads/{thread.id}/assign", data={"assign-assignee": value},
                           follow_redirects=True).get_data(as_text=True)
        assert "Choose an active member of the care team." in page
    assert _reload(thread.id).assignee_id is None


def test_status_change_and_resolved_at(client: FlaskClient, make_user: Callable[..., User],
                                       make_thread: Callable[..., Thread],
                                       login: Callable[..., Any]) -> None:
    thread = make_thread()
    login(make_user("agent"))
    client.post(f"/inbox/threads/{thread.id}/status", data={"thread-status": "resolved"})
    fresh = _reload(thread.id)
    assert fresh.status == "resolved"
    assert fresh.resolved_at is not None
    client.post(f"/inbox/threads/{thread.id}/status", data={"thread-status": "open"})
    fresh = _reload(thread.id)
    assert fresh.status == "open"
    assert fresh.resolved_at is None
    assert _actions(thread.id) == ["status_changed", "status_changed"]


def test_unknown_status_is_a_message(client: FlaskClient, make_user: Callable[..., User],
                                     make_thread: Callable[..., Thread],
                                     login: Callable[..., Any]) -> None:
    thread = make_thread()
    login(make_user("agent"))
    response = client.post(f"/inbox/threads/{thread.id}/status", data={"thread-status": "deleted"},
                           follow_redirects=True)
    assert response.status_code == 200
    assert "Unknown status." in response.get_data(as_text=True)
    assert _reload(thread.id).status == "new"


def test_close_as_abusive(client: FlaskClient, make_user: Callable[..., User],
                          make_thread: Callable[..., Thread], login: Callable[..., Any]) -> None:
    thread = make_thread("bande d'incapables", urgency=["abuse"])
    login(make_user("agent"))
    client.post(f"/inbox/threads/{thread.id}/close-abusive")
    fresh = _reload(thread.id)
    assert (fresh.status, fresh.close_reason) == ("closed", "abusive")
    assert _actions(thread.id) == ["closed_abusive"]
    # A closed thread cannot be claimed.
    page = client.post(f"/inbox/threads/{thread.id}/claim",
                       follow_redirects=True).get_data(as_text=True)
    assert "This thread is closed." in page
    assert "Closed as abusive" in page


def test_actions_on_unknown_thread_are_404(client: FlaskClient,
                                           make_user: Callable[..., User],
                                           login: Callable[..., Any]) -> None:
    login(make_user("admin"))
    for path in ("claim", "status", "close-abusive", "assign", "private"):
        assert client.post(f"/inbox/threads/424242/{path}").status_code == 404
    assert client.get("/inbox/threads/424242/canned").status_code == 404


def test_brand_team_cannot_act(client: FlaskClient, make_user: Callable[..., User],
                               make_thread: Callable[..., Thread],
                               login: Callable[..., Any]) -> None:
    thread = make_thread()
    login(make_user("brand"))
    assert client.post(f"/inbox/threads/{thread.id}/claim").status_code == 403
    assert client.post(f"/inbox/threads/{thread.id}/status",
                       data={"thread-status": "closed"}).status_code == 403
    assert client.post("/inbox/bulk", data={"action": "close",
                                            "thread_ids": [str(thread.id)]}).status_code == 403
    assert _reload(thread.id).status == "new"


# --- bulk ----------------------------------------------------------------------------------

def test_bulk_claim_resolve_close(client: FlaskClient, make_user: Callable[..., User],
                                  make_thread: Callable[..., Thread],
                                  login: Callable[..., Any]) -> None:
    agent = make_user("agent")
    threads = [make_thread() for _ in range(3)]
    ids = [str(t.id) for t in threads]
    login(agent)
    response = client.post("/inbox/bulk", data={"action": "claim", "thread_ids": ids[:2],
                                                "next": "/inbox?status=all"})
    assert response.location == "/inbox?status=all"
    assert [_reload(t.id).assignee_id for t in threads] == [agent.id, agent.id, None]
    client.post("/inbox/bulk", data={"action": "resolve", "thread_ids": ids})
    assert {_reload(t.id).status for t in threads} == {"resolved"}
    assert all(_reload(t.id).resolved_at for t in threads)
    page = client.post("/inbox/bulk", data={"action": "close", "thread_ids": ids},
                       follow_redirects=True).get_data(as_text=True)
    assert "3 thread(s) changed" in page
    assert {_reload(t.id).status for t in threads} == {"closed"}
    # Claiming closed threads: refused one by one, reported.
    page = client.post("/inbox/bulk", data={"action": "claim", "thread_ids": ids},
                       follow_redirects=True).get_data(as_text=True)
    assert "0 thread(s) changed, 0 already so, 3 refused." in page


def test_bulk_assign_is_for_supervisors(client: FlaskClient, app: Any,
                                        make_user: Callable[..., User],
                                        make_thread: Callable[..., Thread],
                                        login: Callable[..., Any]) -> None:
    agent, supervisor = make_user("agent"), make_user("supervisor")
    threads = [make_thread(), make_thread()]
    ids = [str(t.id) for t in threads]
    login(agent)
    assert client.post("/inbox/bulk", data={"action": "assign", "thread_ids": ids,
                                            "assignee": str(agent.id)}).status_code == 403
    # The agent's bulk menu does not even offer it.
    assert 'value="assign"' not in client.get("/inbox").get_data(as_text=True)
    other = app.test_client()
    login(supervisor, c=other)
    assert 'value="assign"' in other.get("/inbox").get_data(as_text=True)
    other.post("/inbox/bulk", data={"action": "assign", "thread_ids": ids,
                                    "assignee": str(agent.id)})
    assert [_reload(t.id).assignee_id for t in threads] == [agent.id, agent.id]
    assert len(db.session.scalars(db.select(AuditEvent).filter_by(action="assigned")).all()) == 2


def test_bulk_bad_inputs(client: FlaskClient, make_user: Callable[..., User],
                         make_thread: Callable[..., Thread], login: Callable[..., Any]) -> None:
    thread = make_thread()
    login(make_user("supervisor"))
    cases = [
        ({"action": "close"}, "Tick at least one thread first."),
        ({"action": "close", "thread_ids": ["1; drop"]}, "The selection was not understood."),
        ({"action": "close", "thread_ids": [str(thread.id), "99999"]},
         "Some selected threads no longer exist."),
        ({"action": "explode", "thread_ids": [str(thread.id)]}, "Unknown action."),
        ({"action": "assign", "thread_ids": [str(thread.id)], "assignee": "77777"},
         "Choose an active member of the care team."),
        ({"action": "close", "thread_ids": [str(i) for i in range(1, 300)]},
         "Too many threads selected"),
    ]
    for data, message in cases:
        response = client.post("/inbox/bulk", data=data, follow_redirects=True)
        assert response.status_code == 200, data
        assert message in response.get_data(as_text=True), data
    assert _reload(thread.id).status == "new"  # nothing half-done


def test_bulk_next_cannot_leave_the_inbox(client: FlaskClient, make_user: Callable[..., User],
                                          make_thread: Callable[..., Thread],
                                          login: Callable[..., Any]) -> None:
    thread = make_thread()
    login(make_user("agent"))
    response = client.post("/inbox/bulk", data={"action": "claim", "thread_ids": [str(thread.id)],
                                                "next": "https://evil.example/"})
    assert response.location == "/inbox"


def test_inbox_has_the_bulk_form(client: FlaskClient, make_user: Callable[..., User],
                                 make_thread: Callable[..., Thread],
                                 login: Callable[..., Any]) -> None:
    make_thread()
    login(make_user("agent"))
    page = client.get("/inbox").get_data(as_text=True)
    assert 'id="bulk-form"' in page
    assert 'form="bulk-form"' in page


def test_audit_panel_newest_first_and_bounded(client: FlaskClient,
                                              make_user: Callable[..., User],
                                              make_thread: Callable[..., Thread],
                                              login: Callable[..., Any]) -> None:
    agent = make_user("agent", name="Marie Lefèvre")
    thread = make_thread()
    login(agent)
    client.post(f"/inbox/threads/{thread.id}/claim")
    client.post(f"/inbox/threads/{thread.id}/status", data={"thread-status": "waiting"})
    page = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    audit = page[page.index('id="thread-audit"'):]
    assert audit.index("status changed") < audit.index("took the thread")
    assert "Marie Lefèvre" in audit
    for _ in range(40):
        client.post(f"/inbox/threads/{thread.id}/status", data={"thread-status": "open"})
        client.post(f"/inbox/threads/{thread.id}/status", data={"thread-status": "waiting"})
    page = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    audit = page[page.index('id="thread-audit"'):]
    assert audit.count('<li class="audit-') == 30
