"""Security baseline: role matrix, CSRF, cookies, sessions, log-in rate limit, passwords."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.passwords import hash_password, verify_password
from app.extensions import db
from app.models import AuditEvent, User
from app.security import allowed_roles

AGENT, SUPERVISOR, BRAND, ADMIN = "agent", "supervisor", "brand", "admin"
EVERYONE = {AGENT, SUPERVISOR, BRAND, ADMIN}
CARE = {AGENT, SUPERVISOR, ADMIN}

#: The matrix: every endpoint and the roles allowed on it. A new route must be added here.
EXPECTED: dict[str, set[str] | str] = {
    "auth.login": "public",
    "auth.logout": EVERYONE,
    "auth.account": EVERYONE,
    "auth.language": EVERYONE,
    "inbox.home": EVERYONE,
    "inbox.index": CARE,
    "inbox.thread": CARE,
    "inbox.reply": CARE,
    "inbox.retry": CARE,
    "inbox.row": CARE,
    "inbox.message_fragment": CARE,
    "inbox.check": CARE,
    "inbox.counts": CARE,
    "channels.index": {ADMIN},
    "channels.detail": {ADMIN},
    "channels.test": {ADMIN},
    "admin.brand_settings": {ADMIN},
    "admin.users": {ADMIN},
    "admin.update_user": {ADMIN},
    # Working the inbox, tickets, canned replies, saved views.
    "inbox.claim": CARE,
    "inbox.assign": {SUPERVISOR, ADMIN},
    "inbox.set_status": CARE,
    "inbox.close_abusive": CARE,
    "private.move": CARE,
    "corrections.correct": CARE,
    "inbox.bulk": CARE,
    "inbox.canned_search": CARE,
    "inbox.save_view": CARE,
    "inbox.delete_view": CARE,
    "tickets.index": CARE,
    "tickets.show": CARE,
    "tickets.set_status": CARE,
    "tickets.create": CARE,
    "tickets.link_external": CARE,
    "tickets.attach": CARE,
    "canned.index": {ADMIN},
    "canned.edit": {ADMIN},
    "canned.delete": {ADMIN},
    # The tone committee: supervisors run it, agents read and answer their own reports.
    "review.index": CARE,
    "review.open_month": {SUPERVISOR, ADMIN},
    "review.show": {SUPERVISOR, ADMIN},
    "review.redraw": {SUPERVISOR, ADMIN},
    "review.close": {SUPERVISOR, ADMIN},
    "review.committee": {SUPERVISOR, ADMIN},
    "review.export": {SUPERVISOR, ADMIN},
    "review.item": {SUPERVISOR, ADMIN},
    "review.score": {SUPERVISOR, ADMIN},
    "review.swap": {SUPERVISOR, ADMIN},
    "review.toggle_calibration": {SUPERVISOR, ADMIN},
    "review.calibrate": {SUPERVISOR, ADMIN},
    "review.report": CARE,
    "review.acknowledge": CARE,
    "review.dispute": CARE,
    "review.answer": {SUPERVISOR, ADMIN},
    "review.trends": CARE,
    "review.library": CARE,
    "review.notifications": CARE,
    "review.read_notifications": CARE,
    "review.settings": {SUPERVISOR, ADMIN},
    "review.rubric": {ADMIN},
    # The brand team's dashboard (issue 19); the survey and status pages are the only public
    # pages besides the log-in.
    "dashboard.index": {BRAND, SUPERVISOR, ADMIN},
    "dashboard.export": {BRAND, SUPERVISOR, ADMIN},
    "dashboard.report": {BRAND, SUPERVISOR, ADMIN},
    "dashboard.settings": {BRAND, ADMIN},
    "surveys.answer": "public",
    "status.page": "public",
    "status.as_json": "public",
    "status.badge": "public",
    # Facebook webhooks (issue 22): no session, a signature checked against the app secret.
    "webhooks.facebook_verify": "public",
    "webhooks.facebook_delivery": "public",
}


def _endpoints(app: Flask) -> dict[str, Any]:
    return {rule.endpoint: rule for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" and not rule.endpoint.endswith(".static")}


def test_every_endpoint_is_in_the_matrix(app: Flask) -> None:
    assert set(_endpoints(app)) == set(EXPECTED)


def test_declared_roles_match_the_matrix(app: Flask) -> None:
    for endpoint, expected in EXPECTED.items():
        view = app.view_functions[endpoint]
        if expected == "public":
            assert getattr(view, "_public", False), endpoint
        else:
            assert allowed_roles(view) == frozenset(expected), endpoint


def _url(rule: Any, ids: dict[str, int]) -> str:
    path = rule.rule
    for arg in rule.arguments:
        path = re.sub(rf"<(?:\w+:)?{arg}>", str(ids.get(arg, 1)), path)
    return path


@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_role_matrix(app: Flask, role: str, make_user: Callable[..., User],
                     make_thread: Callable[..., Any], login: Callable[..., Any]) -> None:
    thread = make_thread()
    target = make_user("agent")
    user = make_user(role)
    ids = {"thread_id": thread.id, "user_id": target.id}
    for endpoint, rule in _endpoints(app).items():
        expected = EXPECTED[endpoint]
        if expected == "public" or endpoint == "auth.logout":
            continue
        client = app.test_client()
        assert login(user, c=client).status_code == 302
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(_url(rule, ids), method=method)
        if role in expected:
            assert response.status_code != 403, f"{role} refused on {endpoint}"
        else:
            assert response.status_code == 403, f"{role} allowed on {endpoint}"


def test_anonymous_is_sent_to_login_everywhere(app: Flask, client: FlaskClient) -> None:
    for endpoint, rule in _endpoints(app).items():
        if EXPECTED[endpoint] == "public":
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(_url(rule, {}), method=method)
        assert response.status_code == 302, endpoint
        assert response.location.startswith("/login"), endpoint


def test_forbidden_page_is_a_page_not_a_trace(client: FlaskClient, make_user: Callable[..., User],
                                              login: Callable[..., Any]) -> None:
    login(make_user("brand"))
    response = client.get("/inbox")
    assert response.status_code == 403
    assert b"Traceback" not in response.data
    assert "does not give access" in response.get_data(as_text=True)


def test_unknown_thread_is_a_404_page(client: FlaskClient, make_user: Callable[..., User],
                                      login: Callable[..., Any]) -> None:
    login(make_user("agent"))
    response = client.get("/inbox/threads/987654")
    assert response.status_code == 404
    assert "does not exist" in response.get_data(as_text=True)


def test_csrf_is_required_on_forms(app: Flask, client: FlaskClient,
                                   make_user: Callable[..., User],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    user = make_user("admin")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/login", data={"email": user.email,
                                           "password": "correct horse battery"})
    assert response.status_code == 400  # no token: refused, not logged in
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": user.email, "password": "correct horse battery",
                                           "csrf_token": token})
    assert response.status_code == 302
    # Every form of a logged-in page carries the token too.
    response = client.post("/admin/users", data={"name": "X", "email": "x@example.com",
                                                  "role": "agent", "password": "long enough pw"})
    assert response.status_code == 400
    assert db.session.scalar(db.select(User).filter_by(email="x@example.com")) is None


def test_session_cookie_flags(app: Flask, client: FlaskClient, make_user: Callable[..., User],
                              login: Callable[..., Any]) -> None:
    response = login(make_user("agent"))
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert app.config["SESSION_COOKIE_SECURE"] is False  # testing; production sets Secure


def test_production_cookies_are_secure(database_url: str) -> None:
    from app import create_app
    from tests.helpers import app_settings

    prod = create_app(app_settings(database_url, ENV="production"))
    assert prod.config["SESSION_COOKIE_SECURE"] is True


def test_new_session_at_login(client: FlaskClient, make_user: Callable[..., User],
                              login: Callable[..., Any]) -> None:
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(make_user("agent"))
    with client.session_transaction() as session:
        assert "planted" not in session
        assert "_user_id" in session


def test_logout_ends_the_session_even_for_a_copied_cookie(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], login: Callable[..., Any]
) -> None:
    user = make_user("agent")
    login(user)
    copy = app.test_client()
    with client.session_transaction() as original, copy.session_transaction() as stolen:
        stolen.update(original)
    assert copy.get("/inbox").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/inbox").status_code == 302
    assert copy.get("/inbox").status_code == 302  # the copied cookie no longer works
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert "logout" in actions


def test_deactivated_user_is_logged_out(app: Flask, client: FlaskClient,
                                        make_user: Callable[..., User],
                                        login: Callable[..., Any]) -> None:
    user = make_user("agent")
    login(user)
    user.active = False
    db.session.commit()
    assert client.get("/inbox").status_code == 302
    user.active = True
    db.session.commit()
    assert login(user).status_code == 302


def test_login_attempts_are_rate_limited(app: Flask, client: FlaskClient,
                                         make_user: Callable[..., User],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    user = make_user("agent")
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    codes = [client.post("/login", data={"email": user.email, "password": "wrong password"})
             .status_code for _ in range(5)]
    assert codes[:3] == [400, 400, 400]
    assert codes[3:] == [429, 429]
    # Even the right password is refused while limited.
    right = client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    assert right.status_code == 429
    assert "Too many attempts" in right.get_data(as_text=True)


def test_rate_limit_storage_follows_redis_url(app: Flask) -> None:
    from tests.helpers import REDIS_URL

    expected = REDIS_URL or "memory://"
    assert app.config["RATELIMIT_STORAGE_URI"] == expected


def test_passwords_are_hashed_with_argon2(make_user: Callable[..., User]) -> None:
    user = make_user("agent")
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, "correct horse battery")
    assert not verify_password(user.password_hash, "correct horse batterx")
    assert not verify_password(None, "anything")
    assert hash_password("same") != hash_password("same")  # salted


def test_wrong_password_message_beside_the_field(client: FlaskClient,
                                                 make_user: Callable[..., User]) -> None:
    user = make_user("agent")
    response = client.post("/login", data={"email": user.email, "password": "nope"})
    assert response.status_code == 400
    assert "Wrong e-mail or password." in response.get_data(as_text=True)
    response = client.post("/login", data={"email": "not-an-email", "password": "x"})
    assert "This is not an e-mail address." in response.get_data(as_text=True)


def test_next_parameter_cannot_redirect_off_site(client: FlaskClient,
                                                 make_user: Callable[..., User]) -> None:
    user = make_user("agent")
    response = client.post("/login?next=https://evil.example/x",
                           data={"email": user.email, "password": "correct horse battery"})
    assert response.location == "/"
    client.post("/logout")
    response = client.post("/login?next=/inbox/threads/1",
                           data={"email": user.email, "password": "correct horse battery"})
    assert response.location == "/inbox/threads/1"
