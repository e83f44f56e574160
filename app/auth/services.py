"""Use cases of authentication; each commits its own transaction."""

from __future__ import annotations

from sqlalchemy import select

from app.audit import record
from app.auth.passwords import hash_password, verify_password
from app.extensions import db
from app.models import User, utcnow
from app.models.user import new_session_token


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None."""
    user = db.session.scalar(select(User).filter_by(email=email.strip().lower()))
    if not verify_password(user.password_hash if user else None, password):
        return None
    if user is None or not user.active:
        return None
    return user


def record_login(user: User) -> None:
    """Note the log-in time and audit it."""
    user.last_login_at = utcnow()
    record(user, "login", "user", user.id)
    db.session.commit()


def end_sessions(user: User) -> None:
    """Log the user out everywhere: every existing session cookie stops working."""
    user.session_token = new_session_token()
    record(user, "logout", "user", user.id)
    db.session.commit()


def change_password(user: User, current: str, new: str) -> bool:
    """Change the user's password after checking the current one; ends other sessions."""
    if not verify_password(user.password_hash, current):
        return False
    user.password_hash = hash_password(new)
    user.session_token = new_session_token()
    record(user, "password_changed", "user", user.id)
    db.session.commit()
    return True


def update_preferences(user: User, locale: str | None, signature: str | None) -> None:
    """Save the user's language and reply signature."""
    user.locale = locale or None
    user.signature = signature or None
    db.session.commit()


def set_locale(user: User, locale: str) -> None:
    """Switch the user's interface language."""
    user.locale = locale
    db.session.commit()
