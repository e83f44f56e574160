"""Users of the console and their roles."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Base
from app.models.types import UTCDateTime, utcnow


class Role(StrEnum):
    """The four roles of the brief; each route and socket event lists those it allows."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    BRAND = "brand"
    ADMIN = "admin"


def new_session_token() -> str:
    """A random token; rotating it ends every session of the user."""
    return secrets.token_urlsafe(24)


class User(Base):
    """A person who logs in: community manager, supervisor, brand team member or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.AGENT.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    signature: Mapped[str | None] = mapped_column(String(40))
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Flask-Login protocol, kept free of request logic.
    @property
    def is_authenticated(self) -> bool:
        """Every loaded user is authenticated; anonymous users are a different class."""
        return True

    @property
    def is_active(self) -> bool:
        """Deactivated users cannot log in and their sessions stop working."""
        return self.active

    @property
    def is_anonymous(self) -> bool:
        """Never anonymous."""
        return False

    def get_id(self) -> str:
        """Session identity: the id plus the session token, so a token rotation logs out."""
        return f"{self.id}.{self.session_token}"

    @property
    def display_signature(self) -> str:
        """The signature appended to public replies (``^Marie``)."""
        if self.signature:
            return self.signature
        first = self.name.split()[0] if self.name.strip() else ""
        return f"^{first}" if first else ""

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
