"""Thin views of the auth feature."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth import bp, services, throttle
from app.auth.forms import LanguageForm, LoginForm, PasswordChangeForm, PreferencesForm
from app.extensions import db, login_manager
from app.models import User
from app.security import ALL_ROLES, current_actor, public, roles


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """Load the user of a session; a rotated session token or a deactivation logs out."""
    user_id, _sep, token = identity.partition(".")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an absolute URL in ?next= would be an open redirect.
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("inbox.home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    """Show and process the log-in form; failed attempts are throttled (app.auth.throttle)."""
    if current_user.is_authenticated:
        return redirect(url_for("inbox.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email, address = form.email.data or "", request.remote_addr or "unknown"
        verdict = throttle.check(email, address)
        if not verdict.allowed:
            return render_template("errors/429.html"), 429
        user = services.authenticate(email, form.password.data or "")
        if user is None:
            throttle.failed(email, address)
            form.password.errors.append(_("Wrong e-mail or password."))
        else:
            throttle.succeeded(email, address)
            # A fresh session at log-in: nothing planted before it survives.
            session.clear()
            login_user(user)
            services.record_login(user)
            return redirect(_safe_next(request.args.get("next")))
    status = 200 if request.method == "GET" or not form.errors else 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@roles(ALL_ROLES)
def logout() -> Any:
    """End the session (and every other session of this user)."""
    services.end_sessions(current_actor())
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@roles(ALL_ROLES)
def account() -> Any:
    """Each user's own password, language and signature."""
    user: User = current_actor()
    prefs = PreferencesForm(prefix="prefs", obj=None)
    pwd = PasswordChangeForm(prefix="pwd")
    status = 200
    if request.method == "GET":
        prefs.locale.data = user.locale or ""
        prefs.signature.data = user.signature or ""
    elif "prefs-submit" in request.form:
        if prefs.validate_on_submit():
            services.update_preferences(user, prefs.locale.data, prefs.signature.data)
            flash(_("Your preferences are saved."), "success")
            return redirect(url_for("auth.account"))
        status = 400
    elif "pwd-submit" in request.form:
        if pwd.validate_on_submit():
            if services.change_password(user, pwd.current.data or "", pwd.new.data or ""):
                # The rotated token ended this session too; open a fresh one.
                login_user(user)
                flash(_("Your password is changed."), "success")
                return redirect(url_for("auth.account"))
            pwd.current.errors.append(_("This is not your current password."))
        status = 400
    return render_template("auth/account.html", prefs=prefs, pwd=pwd), status


@bp.route("/language", methods=["POST"])
@roles(ALL_ROLES)
def language() -> Any:
    """Switch the interface language from the header."""
    form = LanguageForm()
    if form.validate_on_submit():
        services.set_locale(current_actor(), form.locale.data)
    return redirect(_safe_next(request.form.get("next")))
