"""One mechanism for access control: every endpoint declares the roles it allows.

A view without a declaration is refused to everyone (fail closed), so a forgotten
decorator shows up as a 403 in the role matrix test rather than as an open page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

from app.models.user import Role, User

F = TypeVar("F", bound=Callable[..., Any])

ALL_ROLES: frozenset[str] = frozenset(r.value for r in Role)
#: Who works threads: the inbox, replies, tickets.
CARE_ROLES: frozenset[str] = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})


def roles(*allowed: str | Role | Iterable[str]) -> Callable[[F], F]:
    """Declare the roles allowed on a view (or socket handler)."""
    names: set[str] = set()
    for item in allowed:
        if isinstance(item, str):
            names.add(str(item))
        else:
            names.update(str(x) for x in item)
    unknown = names - ALL_ROLES
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def decorate(view: F) -> F:
        # Read back by the before-request check and the roles matrix test; a function's
        # attributes are not in its type.
        view._allowed_roles = frozenset(names)  # type: ignore[attr-defined]
        return view

    return decorate


def public(view: F) -> F:
    """Mark a view as reachable without logging in (the log-in page itself)."""
    view._public = True  # type: ignore[attr-defined]  # as _allowed_roles above
    return view


def allowed_roles(view: Callable[..., Any]) -> frozenset[str] | None:
    """The roles a view declared, or None when it declared nothing."""
    return getattr(view, "_allowed_roles", None)


def has_role(*names: str) -> bool:
    """Whether the current user holds one of the roles (for templates)."""
    return bool(current_user.is_authenticated and current_user.role in names)


def _enforce() -> Any:
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no route: the 404 handler answers
    if endpoint == "static" or endpoint.endswith(".static"):
        return None
    view = current_app.view_functions.get(endpoint)
    if view is None or getattr(view, "_public", False):
        return None
    if not current_user.is_authenticated:
        if request.accept_mimetypes.best == "application/json":
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    allowed = allowed_roles(view)
    if allowed is None or current_user.role not in allowed:
        abort(403)
    return None


def init_app(app: Flask) -> None:
    """Install the access check before every request."""
    app.before_request(_enforce)
    app.jinja_env.globals["has_role"] = has_role


def current_actor() -> User:
    """The logged-in user as the model object, for services that record who acted.

    Flask-Login's ``current_user`` is a proxy; the user loader put the row in this
    request's session, so this is an identity-map look-up, not a query.
    """
    from app.extensions import db

    user = db.session.get(User, int(current_user.id))
    if user is None:  # deleted while logged in: the same answer as a logged-out visit
        abort(401)
    return user
