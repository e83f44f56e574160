"""Thin view of the move to private (the form lives in the thread page's action bar)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, url_for
from flask_babel import gettext as _

from app.extensions import db
from app.inbox.views import render_thread
from app.models import Thread
from app.private import bp, services
from app.private.forms import MoveToPrivateForm
from app.security import CARE_ROLES, current_actor, roles


def private_errors() -> dict[str, str]:
    """Messages of refused moves, translated per request."""
    return {
        "stale": _("This thread changed in the meantime (another agent's action or a new "
                   "message). Look again before acting."),
        "closed": _("This thread is closed."),
        "already_private": _("This exchange is already private: reply privately from the "
                             "composer."),
        "empty": _("Write the private message first."),
        "private_failed": _("The private message could not be sent; nothing was posted in "
                            "public. Try again later."),
        "send_too_long": _("The message is too long for this channel."),
        "send_empty": _("Write the private message first."),
        "send_closed": _("This thread is closed."),
        "send_nothing_to_answer": _("There is no customer message to answer in public."),
        "send_personal_data": _("The public message contains personal data."),
    }


def _thread(thread_id: int) -> Thread:
    item = db.session.get(Thread, thread_id)
    if item is None:
        abort(404)
    return item


def _back(thread_id: int) -> Any:
    return redirect(url_for("inbox.thread", thread_id=thread_id))


@bp.route("/inbox/threads/<int:thread_id>/private", methods=["POST"])
@roles(CARE_ROLES)
def move(thread_id: int) -> Any:
    """Public acknowledgement, then the private message (or the Facebook fallback)."""
    item = _thread(thread_id)
    form = MoveToPrivateForm(prefix="private")
    if form.validate_on_submit():
        version = int(form.version.data) if form.version.data else None
        try:
            result = services.move_to_private(current_actor(), item,
                                              form.body.data,
                                              idempotency_key=form.idempotency_key.data or "",
                                              expected_version=version)
        except services.PrivateRefused as exc:
            message = private_errors().get(exc.code, _("The action was refused."))
            if exc.field != "body":
                flash(message, "error")
                return _back(thread_id)
            form.body.errors = [*form.body.errors, message]
        else:
            if result.fallback:
                flash(_("A private reply is no longer possible here: a public message asked "
                        "the customer to write to the page privately. Your text was not "
                        "sent."), "info")
            else:
                flash(_("Moved to private: acknowledgement posted, private message sent."),
                      "success")
            return _back(thread_id)
    g.private_form = form
    return render_thread(_thread(thread_id), status=400)
