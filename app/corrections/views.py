"""Thin views of triage corrections: the one-click correction on a thread."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _

from app.corrections import bp, services
from app.corrections.forms import TriageForm
from app.extensions import db
from app.models import Thread
from app.security import CARE_ROLES, current_actor, roles


@bp.route("/inbox/threads/<int:thread_id>/triage", methods=["POST"])
@roles(CARE_ROLES)
def correct(thread_id: int) -> Any:
    """Store an agent's correction of the thread's category and urgency flags."""
    thread = db.session.get(Thread, thread_id)
    if thread is None:
        abort(404)
    form = TriageForm(prefix="triage")
    back = redirect(url_for("inbox.thread", thread_id=thread_id))
    if not form.validate_on_submit():
        flash(_("The correction was refused: choose a category and valid urgency flags."),
              "error")
        return back
    try:
        changed = services.correct(
            current_actor(), thread, form.category.data,
            form.urgency.data or [],
            int(form.version.data) if form.version.data else None,
        )
    except services.CorrectionError as exc:
        message = (_("Someone changed this thread meanwhile; check and correct again.")
                   if exc.code == "stale" else _("The correction was refused."))
        flash(message, "error")
        return back
    if changed is None:
        flash(_("Nothing to change."), "info")
    else:
        flash(_("Triage corrected. Thank you: the classifier learns from corrections."),
              "success")
    return back


def triage_form(thread: Thread) -> TriageForm:
    """The correction form pre-filled with the thread's current triage."""
    form = TriageForm(prefix="triage", formdata=None)
    form.category.data = thread.category or "other"
    form.urgency.data = list(thread.urgency or [])
    form.version.data = str(thread.version)
    return form


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    return {"triage_form": triage_form, "triage_history": services.history}
