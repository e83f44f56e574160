"""Each user's own account, and the admin's user management."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from app.auth.passwords import verify_password
from app.extensions import db
from app.models import AuditEvent, User


def test_change_own_password(client: FlaskClient, make_user: Callable[..., User],
                             login: Callable[..., Any]) -> None:
    user = make_user("agent")
    login(user)
    response = client.post("/account", data={"pwd-current": "correct horse battery",
                                             "pwd-new": "a brand new secret",
                                             "pwd-confirm": "a brand new secret",
                                             "pwd-submit": "1"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert verify_password(user.password_hash, "a brand new secret")
    assert client.get("/inbox").status_code == 200  # this session was renewed


def test_password_change_errors_are_shown_beside_fields(
    client: FlaskClient, make_user: Callable[..., User], login: Callable[..., Any]
) -> None:
    user = make_user("agent")
    login(user)
    old_hash = user.password_hash
    page = client.post("/account", data={"pwd-current": "wrong", "pwd-new": "short",
                                         "pwd-confirm": "different", "pwd-submit": "1"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "At least 10 characters." in text
    assert "The two passwords differ." in text
    page = client.post("/account", data={"pwd-current": "wrong password",
                                         "pwd-new": "long enough now", "pwd-confirm":
                                         "long enough now", "pwd-submit": "1"})
    assert "This is not your current password." in page.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_change_language_and_signature(client: FlaskClient, make_user: Callable[..., User],
                                       login: Callable[..., Any]) -> None:
    user = make_user("agent")
    login(user)
    client.post("/account", data={"prefs-locale": "fr", "prefs-signature": "^Marie",
                                  "prefs-submit": "1"})
    db.session.refresh(user)
    assert (user.locale, user.signature) == ("fr", "^Marie")
    assert "Boîte de réception" in client.get("/inbox").get_data(as_text=True)
    bad = client.post("/account", data={"prefs-locale": "de", "prefs-signature": "x" * 30,
                                        "prefs-submit": "1"})
    assert bad.status_code == 400
    db.session.refresh(user)
    assert user.locale == "fr"


def test_admin_creates_a_user(client: FlaskClient, make_user: Callable[..., User],
                              login: Callable[..., Any]) -> None:
    admin = make_user("admin")
    login(admin)
    response = client.post("/admin/users", data={"name": "Marie Lefèvre",
                                                 "email": "Marie@Example.com",
                                                 "role": "agent", "password": "long enough pw"})
    assert response.status_code == 302
    created = db.session.scalar(db.select(User).filter_by(email="marie@example.com"))
    assert created is not None and created.role == "agent"
    audit = db.session.scalar(db.select(AuditEvent).filter_by(action="user_created"))
    assert audit.actor_id == admin.id and audit.object_id == created.id
    again = client.post("/admin/users", data={"name": "Other", "email": "marie@example.com",
                                              "role": "agent", "password": "long enough pw"})
    assert again.status_code == 400
    assert "already exists" in again.get_data(as_text=True)


def test_admin_form_errors_beside_fields(client: FlaskClient, make_user: Callable[..., User],
                                         login: Callable[..., Any]) -> None:
    login(make_user("admin"))
    response = client.post("/admin/users", data={"name": "", "email": "nope", "role": "king",
                                                 "password": "short"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter a name." in text and "This is not an e-mail address." in text
    assert "Not a valid choice" in text and "At least 10 characters." in text
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1


def test_admin_changes_role_and_deactivates(client: FlaskClient, make_user: Callable[..., User],
                                            login: Callable[..., Any]) -> None:
    admin = make_user("admin")
    agent = make_user("agent")
    login(admin)
    prefix = f"u{agent.id}"
    client.post(f"/admin/users/{agent.id}", data={f"{prefix}-role": "supervisor"})
    db.session.refresh(agent)
    assert agent.role == "supervisor" and agent.active is False  # unchecked box = inactive
    client.post(f"/admin/users/{agent.id}", data={f"{prefix}-role": "supervisor",
                                                  f"{prefix}-active": "y"})
    db.session.refresh(agent)
    assert agent.active is True


def test_admin_cannot_lock_themselves_out(client: FlaskClient, make_user: Callable[..., User],
                                          login: Callable[..., Any]) -> None:
    admin = make_user("admin")
    login(admin)
    response = client.post(f"/admin/users/{admin.id}",
                           data={f"u{admin.id}-role": "agent", f"u{admin.id}-active": "y"},
                           follow_redirects=True)
    assert "cannot remove your own administrator access" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.role == "admin"


def test_admin_update_of_unknown_user_is_404(client: FlaskClient, make_user: Callable[..., User],
                                              login: Callable[..., Any]) -> None:
    login(make_user("admin"))
    assert client.post("/admin/users/99999", data={}).status_code == 404
