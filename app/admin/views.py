"""Thin views of the admin feature."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.admin import bp, services
from app.admin.forms import UserCreateForm, UserEditForm
from app.extensions import db
from app.models import Role, User
from app.security import current_actor, roles

_ERRORS = {
    "email_taken": lambda: _("A user with this e-mail already exists."),
    "self_lockout": lambda: _("You cannot remove your own administrator access."),
}


@bp.route("/users", methods=["GET", "POST"])
@roles(Role.ADMIN)
def users() -> Any:
    """List users and create one."""
    form = UserCreateForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.create_user(current_actor(), name=form.name.data,
                                     email=form.email.data, role=form.role.data,
                                     password=form.password.data)
            except services.AdminError as exc:
                form.email.errors.append(_ERRORS[str(exc)]())
            else:
                flash(_("User created."), "success")
                return redirect(url_for("admin.users"))
        status = 400
    edit_forms = {}
    for user in services.list_users():
        edit = UserEditForm(prefix=f"u{user.id}", formdata=None)
        edit.role.data = user.role
        edit.active.data = user.active
        edit_forms[user.id] = (user, edit)
    return render_template("admin/users.html", form=form, edit_forms=edit_forms), status


@bp.route("/users/<int:user_id>", methods=["POST"])
@roles(Role.ADMIN)
def update_user(user_id: int) -> Any:
    """Change a user's role or activity."""
    user = db.session.get(User, user_id) or abort(404)
    form = UserEditForm(prefix=f"u{user.id}")
    if not form.validate_on_submit():
        flash(_("The change was not saved: %(errors)s",
                errors="; ".join(e for errs in form.errors.values() for e in errs)), "error")
        return redirect(url_for("admin.users")), 303
    try:
        services.update_user(current_actor(), user,
                             role=form.role.data, active=form.active.data)
    except services.AdminError as exc:
        flash(_ERRORS[str(exc)](), "error")
    else:
        flash(_("%(name)s is updated.", name=user.name), "success")
    return redirect(url_for("admin.users"))


@bp.route("/brand", methods=["GET", "POST"])
@roles(Role.ADMIN)
def brand_settings() -> Any:
    """Business hours, SLA targets and extra triage words of the brand; a due-time preview."""
    from app.admin.brand_forms import BrandSettingsForm
    from app.admin.brand_settings import SettingsError, build, current
    from app.channels.services import default_brand

    brand = default_brand()
    form = BrandSettingsForm()
    _sample_choices(form)
    status = 200
    settings = brand.settings or {}
    if request.method == "GET":
        form.process(data=current(settings))
        _sample_choices(form)
    elif form.validate_on_submit():
        try:
            if form.preview.data:
                # Preview: the due times under the values typed, nothing saved.
                settings = {**settings, **build(dict(form.data))}
            else:
                services.save_brand_settings(current_actor(), brand,
                                             form.data)
        except SettingsError as exc:
            form[exc.field].errors = [*form[exc.field].errors, str(exc)]
            status = 400
        else:
            if not form.preview.data:
                flash(_("Brand settings saved."), "success")
                return redirect(url_for("admin.brand_settings"))
    else:
        status = 400
    sample = _sample(form, settings) if status == 200 else None
    return render_template("admin/brand.html", form=form, brand=brand, sample=sample), status


def _sample_choices(form: Any) -> None:
    from app.filters import label

    form.sample_segment.choices = [("private", label("segment", "private")),
                                   ("professional", label("segment", "professional"))]
    form.sample_band.choices = [(b, label("band", b)) for b in ("normal", "urgent", "high",
                                                                 "low")]


def _sample(form: Any, settings: dict[str, Any]) -> dict[str, Any] | None:
    """The preview of a sample message's due times (arrival: the form's, or now)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from app.admin.brand_settings import preview
    from app.models import utcnow
    from app.sla.blocks import SEGMENTS
    from app.sla.targets import PRIORITY_BANDS

    segment = form.sample_segment.data if form.sample_segment.data in SEGMENTS else "private"
    band = form.sample_band.data if form.sample_band.data in PRIORITY_BANDS else "normal"
    form.sample_segment.data, form.sample_band.data = segment, band
    zone_name = (form.timezone.data or "").strip() or "Europe/Paris"
    try:
        zone = ZoneInfo(zone_name)
    except (ValueError, KeyError):
        return None
    received = utcnow()
    if form.sample_at.data:
        try:
            received = datetime.fromisoformat(form.sample_at.data).replace(tzinfo=zone)
        except ValueError:
            form.sample_at.errors = [*form.sample_at.errors,
                                     _("Give a date and time, e.g. 2026-12-07T18:30.")]
            return None
    else:
        form.sample_at.data = received.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    try:
        first, resolution = preview(settings, received, segment, band)
    except (ValueError, KeyError):
        return None
    return {"received": received, "first": first, "resolution": resolution}
