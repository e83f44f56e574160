"""Thin views of the canned replies administration (admins)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.canned import bp, services
from app.canned.forms import CannedDeleteForm, CannedReplyForm
from app.extensions import db
from app.filters import label
from app.models import Brand, CannedReply, Role
from app.security import current_actor, roles
from tone.types import CATEGORIES

_ERRORS = {
    "bad_language": lambda: _("Choose French or English."),
    "empty_title": lambda: _("Give the reply a title."),
    "empty_body": lambda: _("Write the reply."),
    "bad_brand": lambda: _("This brand does not exist."),
    "bad_category": lambda: _("Choose a category from the list."),
}


def _form(reply: CannedReply | None = None) -> CannedReplyForm:
    form = CannedReplyForm(formdata=request.form if request.method == "POST" else None,
                           obj=reply if request.method != "POST" else None)
    form.brand_id.choices = [("", _("Every brand"))] + [
        (str(b.id), b.name) for b in db.session.scalars(select(Brand).order_by(Brand.name))]
    form.category.choices = [("", _("Any category"))] + [
        (c, label("category", c)) for c in CATEGORIES]
    if request.method != "POST" and reply is not None:
        form.brand_id.data = str(reply.brand_id) if reply.brand_id else ""
        form.category.data = reply.category or ""
    return form


def _save(form: CannedReplyForm, reply: CannedReply | None) -> CannedReply | None:
    if not form.validate_on_submit():
        return None
    raw_brand = form.brand_id.data or ""
    if raw_brand and not raw_brand.isdigit():
        form.brand_id.errors = [_("This brand does not exist.")]
        return None
    values: dict[str, Any] = {"language": form.language.data or "", "title": form.title.data or "",
              "body": form.body.data or "", "brand_id": int(raw_brand) if raw_brand else None,
              "category": form.category.data or None}
    actor = current_actor()
    try:
        if reply is None:
            return services.create(actor, **values)
        return services.update(actor, reply, **values)
    except services.CannedError as exc:
        getattr(form, exc.field).errors = [_ERRORS[exc.code]()]
        return None


@bp.route("", methods=["GET", "POST"])
@roles(Role.ADMIN)
def index() -> Any:
    """List canned replies and add one."""
    form = _form()
    status = 200
    if request.method == "POST":
        if _save(form, None) is not None:
            flash(_("Canned reply saved."), "success")
            return redirect(url_for("canned.index"))
        status = 400
    return render_template("canned/index.html", form=form, replies=services.list_all(),
                           delete_form=CannedDeleteForm(),
                           placeholders=services.PLACEHOLDERS), status


@bp.route("/<int:reply_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit(reply_id: int) -> Any:
    """Edit one canned reply."""
    reply = db.session.get(CannedReply, reply_id) or abort(404)
    form = _form(reply)
    status = 200
    if request.method == "POST":
        if _save(form, reply) is not None:
            flash(_("Canned reply saved."), "success")
            return redirect(url_for("canned.index"))
        status = 400
    return render_template("canned/edit.html", form=form, reply=reply,
                           placeholders=services.PLACEHOLDERS), status


@bp.route("/<int:reply_id>/delete", methods=["POST"])
@roles(Role.ADMIN)
def delete(reply_id: int) -> Any:
    """Delete one canned reply."""
    reply = db.session.get(CannedReply, reply_id) or abort(404)
    if not CannedDeleteForm().validate_on_submit():
        abort(400)
    services.delete(current_actor(), reply)
    flash(_("Canned reply deleted."), "success")
    return redirect(url_for("canned.index"))
