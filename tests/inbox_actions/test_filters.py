"""Inbox filters, keyset pagination under filters, bounded counts, saved views."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.inbox import queries
from app.models import Channel, SavedView, Thread, User, utcnow


def _ids(client: FlaskClient, query: str) -> set[int]:
    import re

    page = client.get(f"/inbox?{query}").get_data(as_text=True)
    return {int(x) for x in re.findall(r'class="thread-row[^"]*" data-thread-id="(\d+)"', page)}


def test_each_filter(client: FlaskClient, make_user: Callable[..., User],
                     make_channel: Callable[..., Channel], make_thread: Callable[..., Thread],
                     login: Callable[..., Any]) -> None:
    me, other = make_user("agent"), make_user("agent")
    fb = make_channel("facebook")
    now = utcnow()
    a = make_thread(category="delivery", language="fr", sentiment=-0.6, assignee_id=me.id)
    b = make_thread(category="fraud", language="en", sentiment=0.5, urgency=["scam"],
                    channel=fb, assignee_id=other.id)
    c = make_thread(category="delivery", language=None, sentiment=0.0,
                    first_response_due=now - timedelta(hours=1))
    d = make_thread(status="waiting", first_response_at=now,
                    first_response_due=now - timedelta(hours=2),
                    resolution_due=now + timedelta(hours=5))
    login(me)
    assert _ids(client, "") == {a.id, b.id, c.id, d.id}
    assert _ids(client, f"channel={fb.id}") == {b.id}
    assert _ids(client, "category=delivery") == {a.id, c.id}
    assert _ids(client, "urgency=any") == {b.id}
    assert _ids(client, "urgency=scam") == {b.id}
    assert _ids(client, "urgency=hacked_account") == set()
    assert _ids(client, "language=fr") == {a.id}
    assert _ids(client, "language=other") == {c.id, d.id}
    assert _ids(client, "sentiment=negative") == {a.id}
    assert _ids(client, "sentiment=positive") == {b.id}
    assert _ids(client, "sentiment=neutral") == {c.id}
    assert _ids(client, "assignee=me") == {a.id}
    assert _ids(client, "assignee=none") == {c.id, d.id}
    assert _ids(client, f"assignee={other.id}") == {b.id}
    assert _ids(client, "sla=breached") == {c.id}  # d was answered in time
    assert _ids(client, "status=waiting&sla=breached") == set()
    assert _ids(client, "category=delivery&language=fr&assignee=me") == {a.id}


def test_breached_means_late_on_the_clock_now_running(
        client: FlaskClient, make_user: Callable[..., User], make_thread: Callable[..., Thread],
        login: Callable[..., Any]) -> None:
    now = utcnow()
    hour = timedelta(hours=1)
    late_answer = make_thread(first_response_due=now - hour, resolution_due=now + 4 * hour)
    answered_late_resolution = make_thread(
        status="open", first_response_at=now - 3 * hour, first_response_due=now - 4 * hour,
        resolution_due=now - hour)
    make_thread(status="open", first_response_at=now - 3 * hour,  # answered late, in time now
                first_response_due=now - 4 * hour, resolution_due=now + hour)
    make_thread(first_response_due=now + hour, resolution_due=now + 4 * hour)
    make_thread(status="resolved", first_response_due=now - 4 * hour,  # no clock running
                resolution_due=now - hour)
    login(make_user("agent"))
    assert _ids(client, "sla=breached&status=all") == {late_answer.id,
                                                       answered_late_resolution.id}
    assert _ids(client, "sla=breached") == {late_answer.id, answered_late_resolution.id}
    assert _ids(client, "sla=breached&status=resolved") == set()
    filters = queries.InboxFilters.from_args(MultiDict({"sla": "breached"}), me=None)
    counts = queries.status_counts(filters)
    assert (counts["active"], counts["new"], counts["open"]) == (2, 1, 1)
    assert counts["resolved"] == counts["closed"] == 0


def test_bad_filter_values_are_reported(client: FlaskClient, make_user: Callable[..., User],
                                        make_thread: Callable[..., Thread],
                                        login: Callable[..., Any]) -> None:
    make_thread()
    login(make_user("agent"))
    response = client.get("/inbox?category=weather&sentiment=angry&assignee=bob&urgency=x"
                          "&language=de&sla=soon")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "were not understood and were reset" in page
    for name in ("category", "sentiment", "assignee", "urgency", "language", "sla"):
        assert name in page


def test_keyset_pagination_keeps_the_filters(app: Any, client: FlaskClient,
                                             make_user: Callable[..., User],
                                             make_thread: Callable[..., Thread],
                                             login: Callable[..., Any],
                                             monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "INBOX_PAGE_SIZE", 2)
    wanted = {make_thread(category="payment", priority=float(p)).id for p in range(5)}
    for _ in range(3):
        make_thread(category="delivery")
    login(make_user("agent"))
    seen: list[int] = []
    url = "/inbox?category=payment"
    import re

    for _ in range(5):
        page = client.get(url).get_data(as_text=True)
        seen += [int(x) for x in re.findall(r'class="thread-row[^"]*" data-thread-id="(\d+)"',
                                            page)]
        more = re.search(r'<p class="pager"><a class="button" href="([^"]+)"', page)
        if not more:
            break
        url = more.group(1).replace("&amp;", "&")
        assert "category=payment" in url
    assert len(seen) == 5 and set(seen) == wanted


def test_counts_are_bounded(app: Any, make_thread: Callable[..., Thread]) -> None:
    for _ in range(5):
        make_thread()
    make_thread(status="resolved")
    filters = queries.InboxFilters.from_args(MultiDict(), me=None)
    assert queries.bounded_count(filters, cap=3) == 3
    assert queries.bounded_count(filters, cap=100) == 5
    assert queries.format_count(3, cap=3) == "2+"
    assert queries.format_count(1000) == "999+"
    assert queries.format_count(42) == "42"
    counts = queries.status_counts(filters, cap=100)
    assert counts["active"] == 5 and counts["new"] == 5 and counts["resolved"] == 1
    assert list(counts) == list(queries.STATUS_TABS)
    # "Active" is new + open + waiting: exact below the cap, the cap once any reaches it.
    make_thread(status="open")
    make_thread(status="waiting")
    assert queries.status_counts(filters, cap=100)["active"] == 7
    assert queries.status_counts(filters, cap=8)["active"] == 7
    assert queries.status_counts(filters, cap=3)["active"] == 3  # new alone reached it
    assert queries.status_counts(filters, cap=6)["active"] == 6  # 5 + 1 + 1, over the cap
    # The SQL carries the LIMIT: never an unbounded COUNT.
    statements: list[str] = []
    from sqlalchemy import event

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        queries.bounded_count(filters)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert any("count(" in s.lower() and "limit" in s.lower() for s in statements)


def test_kept_count_statement_reads_the_clock_when_it_runs(
        app: Any, make_thread: Callable[..., Thread], monkeypatch: Any) -> None:
    """The tab counts' statement is built once per filters and run again: "SLA breached"
    must still compare with the clock of each run, not the one it was built at."""
    now = utcnow()
    make_thread(first_response_due=now + timedelta(minutes=30))
    filters = queries.InboxFilters.from_args(MultiDict({"sla": "breached"}), me=None)
    assert queries.status_counts(filters)["active"] == 0
    later = now + timedelta(hours=1)
    monkeypatch.setattr("app.inbox.queries.utcnow", lambda: later)
    assert queries.status_counts(filters)["active"] == 1
    assert queries._counts_statement.cache_info().hits >= 1


def test_kept_statements_are_shared_yet_me_is_each_agents_own(
        app: Any, make_user: Callable[..., User], make_thread: Callable[..., Thread]) -> None:
    """The list's statement is kept per filters as they read in SQL: every agent's default
    inbox shares one, while "assigned to me" stays each agent's own."""
    first, second = make_user("agent"), make_user("agent")
    mine = make_thread(assignee_id=first.id)
    theirs = make_thread(assignee_id=second.id)

    def listed(args: dict[str, str], me: int) -> set[int]:
        filters = queries.InboxFilters.from_args(MultiDict(args), me=me)
        return {thread.id for thread in queries.list_threads(filters)[0]}

    assert listed({"assignee": "me"}, first.id) == {mine.id}
    assert listed({"assignee": "me"}, second.id) == {theirs.id}
    assert listed({}, first.id) == {mine.id, theirs.id}
    hits = queries._list_statement.cache_info().hits
    assert listed({}, second.id) == {mine.id, theirs.id}
    assert queries._list_statement.cache_info().hits == hits + 1


def test_status_tabs_show_counts(client: FlaskClient, make_user: Callable[..., User],
                                 make_thread: Callable[..., Thread],
                                 login: Callable[..., Any]) -> None:
    make_thread()
    make_thread(status="waiting")
    login(make_user("agent"))
    page = client.get("/inbox").get_data(as_text=True)
    assert 'data-status="waiting">Waiting <span class="count">1</span>' in page
    assert 'data-status="active">Active <span class="count">2</span>' in page


def test_saved_views(client: FlaskClient, app: Any, make_user: Callable[..., User],
                     make_thread: Callable[..., Thread], login: Callable[..., Any]) -> None:
    me, other = make_user("agent"), make_user("agent")
    login(me)
    response = client.post("/inbox/views", data={"name": "Mes livraisons",
                                                 "query": "category=delivery&assignee=me"})
    assert response.status_code == 302
    assert response.location == "/inbox?category=delivery&assignee=me"
    view = db.session.scalar(db.select(SavedView).filter_by(user_id=me.id))
    assert view.name == "Mes livraisons"
    page = client.get("/inbox").get_data(as_text=True)
    assert "Mes livraisons" in page
    assert 'href="/inbox?category=delivery&amp;assignee=me"' in page
    # Saving under the same name replaces the query.
    client.post("/inbox/views", data={"name": "Mes livraisons", "query": "status=waiting"})
    db.session.expire_all()
    assert db.session.scalar(db.select(SavedView).filter_by(user_id=me.id)).query \
        == "status=waiting"
    # Someone else neither sees nor deletes it.
    other_client = app.test_client()
    login(other, c=other_client)
    assert "Mes livraisons" not in other_client.get("/inbox").get_data(as_text=True)
    assert other_client.post(f"/inbox/views/{view.id}/delete").status_code == 404
    assert client.post(f"/inbox/views/{view.id}/delete").status_code == 302
    assert db.session.scalar(db.select(SavedView)) is None


def test_saved_view_bad_input_beside_the_field(client: FlaskClient,
                                               make_user: Callable[..., User],
                                               login: Callable[..., Any]) -> None:
    login(make_user("agent"))
    response = client.post("/inbox/views", data={"name": "", "query": "status=open"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="name-err"' in page and "Give the view a name." in page
    response = client.post("/inbox/views", data={"name": "x", "query": "status=burning"})
    assert response.status_code == 400
    assert "These filters are not valid." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(SavedView)) is None
