"""What a community manager meets first in a day in the inbox (issue 24), without a browser."""

from __future__ import annotations

import logging
import re
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import AuditEvent, Brand, CannedReply, Message, Thread, User, utcnow
from tests.fakes_care import FakeConnector, install

PASSWORD = "correct horse battery"


def _post_login(client: FlaskClient, email: str, password: str, address: str) -> int:
    response = client.post("/login", data={"email": email, "password": password},
                           environ_base={"REMOTE_ADDR": address})
    status = response.status_code
    if status == 302:
        client.post("/logout", environ_base={"REMOTE_ADDR": address})
    return int(status)


# --- log-in throttling ---------------------------------------------------------------------

def test_a_team_behind_one_address_logs_in_at_nine(
    app: Flask, client: FlaskClient, make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    team = [make_user("agent") for _ in range(10)]
    # Successful log-ins cost nothing: ten agents, twice each, from one office address.
    codes = [_post_login(client, u.email, PASSWORD, "10.0.0.1") for u in team * 2]
    assert codes == [302] * 20


def test_other_accounts_failures_do_not_lock_out_a_correct_password(
    app: Flask, client: FlaskClient, make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    tom, marie, sophie = make_user("agent"), make_user("agent"), make_user("agent")
    # Tom mistypes three times: the office address reaches its failure limit.
    assert [_post_login(client, tom.email, "wrong", "10.0.0.2") for _ in range(3)] \
        == [400, 400, 400]
    # Tom himself is now held back at this address, even with the right password...
    assert _post_login(client, tom.email, PASSWORD, "10.0.0.2") == 429
    # ...but Marie's correct password goes through the limit Tom's failures caused,
    assert _post_login(client, marie.email, PASSWORD, "10.0.0.2") == 302
    # a wrong one is still refused (and counted), and another address is untouched.
    assert _post_login(client, sophie.email, "wrong", "10.0.0.2") == 400
    assert _post_login(client, tom.email, PASSWORD, "10.9.9.9") == 302


def test_failures_on_one_account_lock_it_from_every_address(
    app: Flask, client: FlaskClient, make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_LIMIT", "4 per 15 minutes")
    target, other = make_user("agent"), make_user("agent")
    # A guessing run spread over four addresses still counts against the one account.
    for n in range(4):
        assert _post_login(client, target.email, f"guess {n}", f"192.0.2.{n}") == 400
    page = client.post("/login", data={"email": target.email, "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert page.status_code == 429
    assert "Too many attempts" in page.get_data(as_text=True)
    # E-mail case does not open a second counter; other accounts are not affected.
    assert _post_login(client, target.email.upper(), PASSWORD, "198.51.100.8") == 429
    assert _post_login(client, other.email, PASSWORD, "192.0.2.0") == 302


def test_a_correct_password_clears_the_accounts_own_failures(
    app: Flask, client: FlaskClient, make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_LIMIT", "3 per 15 minutes")
    user = make_user("agent")
    for _round in range(3):
        assert [_post_login(client, user.email, "typo", "10.1.1.1") for _ in range(2)] \
            == [400, 400]
        assert _post_login(client, user.email, PASSWORD, "10.1.1.1") == 302


# --- language ------------------------------------------------------------------------------

def test_language_is_the_users_then_the_browsers_then_the_default(
    app: Flask, client: FlaskClient, make_user: Callable[..., User],
    login: Callable[..., Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    login(make_user("agent", locale=None))
    english = {"Accept-Language": "en-US,en;q=0.9"}
    french = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
    assert '<html lang="en">' in client.get("/inbox", headers=english).get_data(as_text=True)
    assert '<html lang="fr">' in client.get("/inbox", headers=french).get_data(as_text=True)
    monkeypatch.setitem(app.config, "DEFAULT_LOCALE", "fr")
    assert '<html lang="fr">' in client.get("/inbox", headers={"Accept-Language": "de"}) \
        .get_data(as_text=True)
    # A saved choice wins over the browser.
    client.post("/language", data={"locale": "fr", "next": "/inbox"})
    assert '<html lang="fr">' in client.get("/inbox", headers=english).get_data(as_text=True)
    # "The browser's language" on the account page clears the saved choice.
    client.post("/account", data={"prefs-locale": "", "prefs-signature": "",
                                  "prefs-submit": "y"})
    assert '<html lang="en">' in client.get("/inbox", headers=english).get_data(as_text=True)


def test_demo_users_have_no_saved_language(app: Flask, tmp_path: Path) -> None:
    from app.demo.content import DEMO_USERS
    from app.demo.services import seed_demo

    seed_demo(tmp_path)
    for spec in DEMO_USERS.values():
        user = db.session.scalar(db.select(User).filter_by(email=spec["email"]))
        assert user is not None and user.locale is None, spec["email"]


# --- make run ------------------------------------------------------------------------------

def test_request_log_is_quiet_unless_asked(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.server import configure_request_log

    werkzeug = logging.getLogger("werkzeug")
    before = werkzeug.level
    try:
        monkeypatch.setitem(app.config, "REQUEST_LOG", False)
        configure_request_log(app)
        assert not werkzeug.isEnabledFor(logging.INFO)
        assert werkzeug.isEnabledFor(logging.WARNING)
        monkeypatch.setitem(app.config, "REQUEST_LOG", True)
        configure_request_log(app)
        assert werkzeug.isEnabledFor(logging.INFO)
    finally:
        werkzeug.setLevel(before)


def test_request_log_setting_is_read_from_the_environment(tmp_path: Path) -> None:
    from config.settings import load_settings

    assert load_settings(tmp_path, environ={}, dotenv_path=None)["REQUEST_LOG"] is False
    assert load_settings(tmp_path, environ={"CARE_REQUEST_LOG": "true"},
                         dotenv_path=None)["REQUEST_LOG"] is True


def test_demo_passwords_are_printed_last_once_the_server_listens(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from app.demo.services import seed_demo
    from app.server import _announce_when_listening, demo_banner

    report = seed_demo(tmp_path)
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    banner = demo_banner(app)
    assert banner is not None
    for email, password in report.passwords.values():
        assert re.search(rf"{re.escape(email)}\s+{re.escape(password)}", banner)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    waiting = threading.Thread(target=_announce_when_listening,
                               args=("127.0.0.1", port, banner, 10.0))
    waiting.start()
    waiting.join(0.6)
    assert waiting.is_alive() and banner not in capsys.readouterr().out  # not up yet
    listener.listen()
    waiting.join(5)
    listener.close()
    assert capsys.readouterr().out.strip() == banner.strip()


# --- replies: claim, history, order, refusals ----------------------------------------------

def test_the_first_reply_claims_an_unassigned_thread(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., User],
    make_thread: Callable[..., Thread], login: Callable[..., Any],
) -> None:
    install(monkeypatch, FakeConnector("x"))
    marie, tom = make_user("agent", name="Marie Lefèvre"), make_user("agent", name="Tom")
    thread = make_thread("mon colis n'arrive pas")
    given = make_thread("where is my refund?", assignee_id=tom.id, status="open")
    login(marie)
    for t, key in ((thread, "k1"), (given, "k2")):
        response = client.post(f"/inbox/threads/{t.id}/reply",
                               data={"body": "On regarde tout de suite.",
                                     "idempotency_key": key, "version": str(t.version)})
        assert response.status_code == 302
    db.session.expire_all()
    assert thread.assignee_id == marie.id
    assert thread.status == "waiting"  # answered: waiting for the customer
    assert given.assignee_id == tom.id  # a thread given to someone stays theirs
    claims = list(db.session.scalars(db.select(AuditEvent).filter_by(
        action="claimed", object_id=thread.id)))
    assert len(claims) == 1 and claims[0].details["on_reply"] is True
    html = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    assert "took the thread by replying" in html
    # The sent reply says so, with its time.
    assert 'class="send-state sent"' in html


def test_history_says_public_or_private(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., User],
    make_thread: Callable[..., Thread], login: Callable[..., Any],
) -> None:
    install(monkeypatch, FakeConnector("x"))
    thread = make_thread("mon colis n'arrive pas")
    login(make_user("agent"))
    client.post(f"/inbox/threads/{thread.id}/reply",
                data={"body": "On regarde.", "idempotency_key": "a", "version": "1"})
    db.session.expire_all()
    client.post(f"/inbox/threads/{thread.id}/reply",
                data={"body": "Votre numéro de commande ?", "private": "y",
                      "idempotency_key": "b", "version": str(thread.version)})
    html = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    history = html[html.index('id="thread-audit"'):]
    assert "public reply sent" in history and "private message sent" in history
    assert "> reply sent" not in history


def test_the_page_lists_replies_in_the_platforms_order(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., User],
    make_thread: Callable[..., Thread], login: Callable[..., Any],
) -> None:
    fake = install(monkeypatch, FakeConnector("x"))
    thread = make_thread("mon compte est bloqué", language="fr")
    login(make_user("agent", signature="^Marie"))
    client.post(f"/inbox/threads/{thread.id}/private",
                data={"private-body": "Pouvez-vous nous donner votre e-mail ici ?",
                      "private-idempotency_key": "mv1"})
    assert [s["kind"] for s in fake.sent] == ["private", "public"]
    db.session.expire_all()
    messages = list(db.session.scalars(db.select(Message).where(
        Message.thread_id == thread.id, Message.direction == "out")))
    # Each reply stands at the platform's own time of posting.
    assert all(m.platform_created_at == m.sent_at for m in messages)
    html = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    shown = [html.index(s["text"].split(" ^")[0][:30]) for s in fake.sent]
    assert shown == sorted(shown)


def test_a_refused_reply_returns_to_the_thread_with_the_draft(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, make_user: Callable[..., User],
    make_thread: Callable[..., Thread], login: Callable[..., Any],
) -> None:
    fake = install(monkeypatch, FakeConnector("x"))
    thread = make_thread("mon colis n'arrive pas")
    login(make_user("agent"))
    draft = "Appelez-nous au 06 12 34 56 78"
    response = client.post(f"/inbox/threads/{thread.id}/reply",
                           data={"body": draft, "idempotency_key": "k", "version": "1"})
    assert response.status_code == 303
    assert response.location.endswith(f"/inbox/threads/{thread.id}")
    html = client.get(response.location).get_data(as_text=True)
    assert "This public reply contains personal data" in html
    assert f"{draft}</textarea>" in html
    assert fake.sent == []
    # The refusal is shown once: a reload is a clean page.
    again = client.get(f"/inbox/threads/{thread.id}").get_data(as_text=True)
    assert "personal data" not in again and draft not in again
    # Too long for X: refused the same way, the draft kept.
    long_draft = "x" * 300
    response = client.post(f"/inbox/threads/{thread.id}/reply",
                           data={"body": long_draft, "idempotency_key": "k2", "version": "1"})
    html = client.get(response.location).get_data(as_text=True)
    assert "Too long for this channel" in html and long_draft in html


def test_a_reply_under_a_colleagues_lock_is_refused_back_on_the_thread(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch,
    make_user: Callable[..., User], make_thread: Callable[..., Thread],
    login: Callable[..., Any],
) -> None:
    from app.realtime import presence

    install(monkeypatch, FakeConnector("x"))
    marie, tom = make_user("agent", name="Marie Lefèvre"), make_user("agent")
    thread = make_thread("hello?")
    with app.app_context():
        taken, _holder = presence.store().lock(thread.id, marie.id, marie.name, "sid-marie")
        assert taken
    login(tom)
    response = client.post(f"/inbox/threads/{thread.id}/reply",
                           data={"body": "Hi!", "idempotency_key": "t", "version": "1"})
    assert response.status_code == 303
    html = client.get(response.location).get_data(as_text=True)
    assert "Marie Lefèvre is replying to this thread" in html and "Hi!</textarea>" in html


# --- canned replies ------------------------------------------------------------------------

def test_canned_replies_of_the_threads_category_and_language_come_first(
    app: Flask, make_user: Callable[..., User], make_thread: Callable[..., Thread],
) -> None:
    from app.canned.services import search

    thread = make_thread("mon colis n'arrive pas", language="fr", category="delivery")
    brand_id = thread.channel.brand_id
    for language, category, title in [("en", "delivery", "A late parcel"),
                                      ("fr", None, "B bonjour"),
                                      ("fr", "payment", "C remboursement"),
                                      ("fr", "delivery", "D colis en retard"),
                                      ("en", None, "E hello")]:
        reply = CannedReply(brand_id=brand_id, language=language, title=title,
                            body=title, category=category)
        reply.refresh_search_text()
        db.session.add(reply)
    db.session.commit()
    titles = [r.title for r in search(thread, make_user("agent"))]
    assert titles == ["D colis en retard", "B bonjour", "C remboursement", "A late parcel",
                      "E hello"]


def test_canned_reply_category_is_chosen_by_the_admin(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[..., Any],
) -> None:
    db.session.add(Brand(name="B", slug="b", settings={}))
    db.session.commit()
    login(make_user("admin"))
    response = client.post("/admin/canned", data={
        "title": "Colis", "language": "fr", "brand_id": "", "category": "delivery",
        "body": "Bonjour {first_name}"})
    assert response.status_code in (302, 303)
    assert db.session.scalar(db.select(CannedReply.category)) == "delivery"
    bad = client.post("/admin/canned", data={
        "title": "X", "language": "fr", "brand_id": "", "category": "nonsense", "body": "x"})
    assert bad.status_code == 400
    assert "Choose a category from the list." in bad.get_data(as_text=True)


# --- dates, names, counts ------------------------------------------------------------------

@pytest.mark.parametrize("locale,zone,expected", [
    ("en", "Europe/Paris", "Mon 7 Dec, 01:11"),
    ("fr", "Europe/Paris", "lun. 7 déc., 01:11"),
    ("en", "America/New_York", "Sun 6 Dec, 7:11 PM"),
])
def test_dates_are_unambiguous(app: Flask, locale: str, zone: str, expected: str,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    from flask_babel import force_locale

    from app.filters import dt

    monkeypatch.setitem(app.config, "TIMEZONE", zone)
    at = datetime(2026, 12, 7, 0, 11, tzinfo=UTC)
    monkeypatch.setattr("app.filters.utcnow", lambda: datetime(2026, 12, 8, tzinfo=UTC))
    with app.test_request_context(), force_locale(locale):
        assert dt(at).replace("\u202f", " ") == expected
        assert "2026" in dt(at, "long")
    # Another year is named.
    monkeypatch.setattr("app.filters.utcnow", lambda: datetime(2027, 1, 8, tzinfo=UTC))
    with app.test_request_context(), force_locale(locale):
        assert "2026" in dt(at)


def test_recent_times_read_relatively(app: Flask) -> None:
    from flask_babel import force_locale

    from app.filters import when

    with app.test_request_context():
        with force_locale("en"):
            assert when(utcnow() - timedelta(minutes=12)) == "12 minutes ago"
            assert when(utcnow() - timedelta(seconds=5)) == "just now"
            assert re.match(r"\w{3} \d{1,2} \w{3}", when(utcnow() - timedelta(days=3)))
        with force_locale("fr"):
            assert when(utcnow() - timedelta(minutes=12)) == "il y a 12 minutes"


def test_inbox_rows_name_authors_as_their_network_does(
    client: FlaskClient, make_user: Callable[..., User], make_channel: Callable[..., Any],
    make_author: Callable[..., Any], make_thread: Callable[..., Thread],
    login: Callable[..., Any],
) -> None:
    fb = make_channel("facebook")
    karim = make_author(network="facebook", handle="100044", display_name="Karim Benali")
    make_thread("Remboursement refusé", channel=fb, author=karim)
    make_thread("hello", author=make_author(network="x", handle="julie_mtp"))
    login(make_user("agent"))
    html = client.get("/inbox").get_data(as_text=True)
    assert "Karim Benali" in html and "@Karim" not in html and "@100044" not in html
    assert "@julie_mtp" in html
    # The list has a legend row for the priority and the SLA clock.
    assert 'class="list-head"' in html and "Time left (SLA)" in html


def test_counts_follow_the_inbox(client: FlaskClient, make_user: Callable[..., User],
                                 make_thread: Callable[..., Thread],
                                 login: Callable[..., Any]) -> None:
    make_thread("one")
    login(make_user("agent"))
    assert client.get("/inbox/counts").get_json()["counts"]["new"] == "1"
    make_thread("two", language="fr")
    make_thread("three", status="waiting")
    counts = client.get("/inbox/counts").get_json()["counts"]
    assert counts["new"] == "2" and counts["waiting"] == "1" and counts["active"] == "3"
    # Under the page's own filters.
    assert client.get("/inbox/counts?language=fr").get_json()["counts"]["active"] == "1"


def test_a_flood_of_failures_from_one_address_stops_password_checks(
    app: Flask, client: FlaskClient, make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.auth import throttle

    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per minute")
    users = [make_user("agent") for _ in range(2 * throttle.CEILING + 1)]
    # One guess per account: each passes the address limit (other accounts caused it)...
    codes = [_post_login(client, u.email, "guess", "203.0.113.9") for u in users[:-1]]
    assert codes == [400] * (2 * throttle.CEILING)
    # ...until the address's failures reach the ceiling: then not even a right password.
    assert _post_login(client, users[-1].email, PASSWORD, "203.0.113.9") == 429
    assert _post_login(client, users[-1].email, PASSWORD, "203.0.113.10") == 302
