"""Admin use cases; each commits its own transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.audit import record
from app.auth.passwords import hash_password
from app.extensions import db
from app.models import Brand, Role, User
from app.models.user import new_session_token


class AdminError(ValueError):
    """A refused admin action, with a message for the page."""


def create_user(actor: User, *, name: str, email: str, role: str, password: str) -> User:
    """Create a user; refuses a duplicate e-mail."""
    email = email.strip().lower()
    if db.session.scalar(select(User.id).filter_by(email=email)) is not None:
        raise AdminError("email_taken")
    user = User(name=name.strip(), email=email, role=Role(role).value,
                password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    record(actor, "user_created", "user", user.id, role=user.role)
    db.session.commit()
    return user


def update_user(actor: User, user: User, *, role: str, active: bool) -> None:
    """Change role and activity; an admin cannot lock themselves out."""
    if user.id == actor.id and (role != Role.ADMIN or not active):
        raise AdminError("self_lockout")
    changes: dict[str, list[Any]] = {}
    if user.role != role:
        changes["role"] = [user.role, role]
        user.role = Role(role).value
    if user.active != active:
        changes["active"] = [user.active, active]
        user.active = active
        if not active:
            # Deactivation ends the user's sessions at once.
            user.session_token = new_session_token()
    if changes:
        record(actor, "user_updated", "user", user.id, **changes)
    db.session.commit()


def list_users() -> list[User]:
    """All users, by name."""
    return list(db.session.scalars(select(User).order_by(User.name)))


def save_brand_settings(actor: User, brand: Brand, values: dict[str, object]) -> None:
    """Validate and store calendars, SLA targets and extra words (raises SettingsError)."""
    from app.admin.brand_settings import build

    new = build(dict(values))
    brand.settings = {**(brand.settings or {}), **new}
    record(actor, "brand_settings_changed", "brand", brand.id, keys=sorted(new))
    db.session.commit()
