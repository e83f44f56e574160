"""Thin views of the actions on threads: claim, assign, status, abusive, private, bulk,
canned replies search and saved views. Registered on the inbox blueprint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user

from app.canned import services as canned
from app.extensions import db
from app.inbox import bp, queries, services
from app.inbox.forms import (
    AssignForm,
    BulkForm,
    DeleteForm,
    SavedViewForm,
    StatusForm,
    ThreadActionForm,
)
from app.models import SavedView, Thread, User
from app.outbox.services import new_idempotency_key
from app.private import services as private
from app.private.forms import MoveToPrivateForm
from app.security import CARE_ROLES, current_actor, roles
from tone.types import CATEGORIES, URGENCY_FLAGS

ASSIGN_ROLES = ("supervisor", "admin")


def action_errors() -> dict[str, str]:
    """Messages of refused actions, translated per request."""
    return {
        "stale": _("This thread changed in the meantime (another agent's action or a new "
                   "message). Look again before acting."),
        "closed": _("This thread is closed."),
        "forbidden": _("Only supervisors and administrators can assign threads."),
        "bad_assignee": _("Choose an active member of the care team."),
        "bad_status": _("Unknown status."),
        "bad_action": _("Unknown action."),
        "no_selection": _("Tick at least one thread first."),
        "too_many": _("Too many threads selected at once (200 at most)."),
        "bad_selection": _("The selection was not understood."),
        "unknown_threads": _("Some selected threads no longer exist."),
        "empty_name": _("Give the view a name."),
        "long_name": _("At most %(max)d characters.", max=80),
        "bad_query": _("These filters are not valid."),
        "not_yours": _("This view is not yours."),
    }


def _message(exc: services.ActionError) -> str:
    return action_errors().get(exc.code, _("The action was refused."))


def _thread(thread_id: int) -> Thread:
    item = db.session.get(Thread, thread_id)
    if item is None:
        abort(404)
    return item


def _version(form: Any) -> int | None:
    raw = form.version.data if hasattr(form, "version") else None
    return int(raw) if raw else None


def _back(thread_id: int) -> Any:
    return redirect(url_for("inbox.thread", thread_id=thread_id))


def _me() -> User:
    return current_actor()


def _run(thread_id: int, form: Any, action: Any, done: str) -> Any:
    """Validate, run the use case, flash the outcome, back to the thread."""
    item = _thread(thread_id)
    if not form.validate_on_submit():
        flash(_("The action was refused: the form was incomplete."), "error")
        return _back(thread_id)
    try:
        changed = action(item, _version(form))
    except services.ActionError as exc:
        flash(_message(exc), "error")
        return _back(thread_id)
    flash(done if changed else _("Nothing to change."), "success" if changed else "info")
    return _back(thread_id)


@bp.route("/inbox/threads/<int:thread_id>/claim", methods=["POST"])
@roles(CARE_ROLES)
def claim(thread_id: int) -> Any:
    """Take the thread: assigned to me, open."""
    return _run(thread_id, ThreadActionForm(prefix="claim"),
                lambda t, v: services.claim(_me(), t, v), _("The thread is yours."))


@bp.route("/inbox/threads/<int:thread_id>/assign", methods=["POST"])
@roles(*ASSIGN_ROLES)
def assign(thread_id: int) -> Any:
    """Give the thread to an agent (supervisors and administrators)."""
    form = AssignForm(prefix="assign")
    return _run(thread_id, form,
                lambda t, v: services.assign(_me(), t, form.assignee.data or None, v),
                _("Assignment saved."))


@bp.route("/inbox/threads/<int:thread_id>/status", methods=["POST"])
@roles(CARE_ROLES)
def set_status(thread_id: int) -> Any:
    """Change the thread's status."""
    form = StatusForm(prefix="thread")
    return _run(thread_id, form,
                lambda t, v: services.change_status(_me(), t, form.status.data or "", v),
                _("Status changed."))


@bp.route("/inbox/threads/<int:thread_id>/close-abusive", methods=["POST"])
@roles(CARE_ROLES)
def close_abusive(thread_id: int) -> Any:
    """End an exchange that turned to insults."""
    return _run(thread_id, ThreadActionForm(prefix="abusive"),
                lambda t, v: services.close_abusive(_me(), t, v),
                _("The thread is closed as abusive."))


@bp.route("/inbox/bulk", methods=["POST"])
@roles(CARE_ROLES)
def bulk() -> Any:
    """One action on the threads ticked in the list."""
    form = BulkForm()
    back = form.next.data or ""
    target = back if back.startswith("/inbox") and not back.startswith("//") \
        else url_for("inbox.index")
    if not form.validate_on_submit():
        flash(_("The action was refused: the form was incomplete."), "error")
        return redirect(target)
    action = form.action.data or ""
    if action == "assign" and current_user.role not in ASSIGN_ROLES:
        abort(403)
    try:
        report = services.bulk(_me(), action, request.form.getlist("thread_ids"),
                               form.assignee.data or None)
    except services.ActionError as exc:
        flash(_message(exc), "error")
        return redirect(target)
    flash(_("%(changed)d thread(s) changed, %(unchanged)d already so, %(refused)d refused.",
            changed=report.changed, unchanged=report.unchanged, refused=report.refused),
          "success" if report.changed else "info")
    return redirect(target)


@bp.route("/inbox/threads/<int:thread_id>/canned")
@roles(CARE_ROLES)
def canned_search(thread_id: int) -> Any:
    """Canned replies for this thread, placeholders filled, its language first (JSON)."""
    item = _thread(thread_id)
    query = (request.args.get("q") or "")[:200]
    results = canned.search(item, _me(), query)
    return {"results": [{"id": r.id, "title": r.title, "language": r.language,
                         "text": r.text, "category": r.category} for r in results]}


@bp.route("/inbox/views", methods=["POST"])
@roles(CARE_ROLES)
def save_view() -> Any:
    """Save the current inbox filters under a name."""
    form = SavedViewForm()
    if form.validate_on_submit():
        try:
            view = services.save_view(_me(), form.name.data or "", form.query.data or "")
        except services.ActionError as exc:
                form.name.errors = [*form.name.errors, _message(exc)]
        else:
            flash(_("View “%(name)s” saved.", name=view.name), "success")
            return redirect(url_for("inbox.index") + ("?" + view.query if view.query else ""))
    g.view_form = form
    return _render_index(form.query.data or "")


def _render_index(query: str) -> Any:
    """The inbox page for ``query``, with the failed saved-view form (status 400)."""
    from urllib.parse import parse_qsl

    from flask import current_app
    from werkzeug.datastructures import MultiDict

    filters = queries.InboxFilters.from_args(MultiDict(parse_qsl(query)))
    threads, next_cursor = queries.list_threads(filters, None,
                                                current_app.config["INBOX_PAGE_SIZE"])
    return render_template("inbox/index.html", threads=threads, next_cursor=next_cursor,
                           filters=filters, channels=queries.channels(),
                           statuses=queries.STATUS_FILTERS), 400


@bp.route("/inbox/views/<int:view_id>/delete", methods=["POST"])
@roles(CARE_ROLES)
def delete_view(view_id: int) -> Any:
    """Delete one of my saved views."""
    view = db.session.get(SavedView, view_id)
    if view is None or view.user_id != current_user.id:
        abort(404)
    if not DeleteForm().validate_on_submit():
        abort(400)
    services.delete_view(_me(), view)
    flash(_("View deleted."), "success")
    return redirect(url_for("inbox.index"))


# --- what the partials of the thread and inbox pages read ---------------------------------

def _status_choices() -> list[tuple[str, str]]:
    from app.filters import label

    return [(s, label("status", s)) for s in services.STATUSES]


def thread_actions(thread: Thread) -> dict[str, Any]:
    """Forms and facts for the action bar of a thread page."""
    version = str(thread.version)
    claim_form = ThreadActionForm(formdata=None, prefix="claim", version=version)
    abusive_form = ThreadActionForm(formdata=None, prefix="abusive", version=version)
    status_form = StatusForm(formdata=None, prefix="thread", version=version)
    status_form.status.choices = _status_choices()
    status_form.status.data = thread.status
    assign_form = None
    if current_user.role in ASSIGN_ROLES:
        assign_form = AssignForm(formdata=None, prefix="assign", version=version)
        assign_form.assignee.choices = [("", _("Nobody"))] + [
            (str(u.id), u.name) for u in queries.care_users()]
        assign_form.assignee.data = str(thread.assignee_id or "")
    private_form = getattr(g, "private_form", None)
    if private_form is None:
        private_form = MoveToPrivateForm(formdata=None, prefix="private", version=version)
        private_form.idempotency_key.data = new_idempotency_key()
    window = private.private_window(thread)
    remaining = window.remaining
    return {
        "claim": claim_form, "abusive": abusive_form, "status": status_form,
        "assign": assign_form, "private": private_form, "window": window,
        "remaining": format_timedelta(remaining, threshold=1.0) if remaining else None,
        "open_private": private_form.errors or bool(private_form.form_errors),
    }


def audit_labels() -> dict[str, str]:
    """How each audit action reads on the thread page."""
    return {
        "reply_queued": _("reply queued"), "reply_sent": _("reply sent"),
        "reply_retried": _("reply retried"), "reply_reconciled": _("reply confirmed"),
        "moved_to_private": _("moved to private"), "ticket_linked": _("ticket linked"),
        "assigned": _("assignment"), "claimed": _("took the thread"),
        "taken_over": _("took over"), "status_changed": _("status changed"),
        "closed_abusive": _("closed as abusive"), "ticket_escalated": _("ticket escalated"),
        "ticket_status_changed": _("ticket status changed"),
    }


# Public and private replies read differently in the history (lazy: request's language).
_VISIBLE_REPLY_LABELS: dict[str, dict[str, Callable[[], str]]] = {
    "reply_queued": {"public": lambda: _("public reply queued"),
                     "private": lambda: _("private message queued")},
    "reply_sent": {"public": lambda: _("public reply sent"),
                   "private": lambda: _("private message sent")},
    "reply_reconciled": {"public": lambda: _("public reply confirmed"),
                         "private": lambda: _("private message confirmed")},
}


def audit_entries(thread: Thread) -> list[dict[str, Any]]:
    """The thread's audit trail, newest first, bounded, with readable labels."""
    from app.filters import label

    labels = audit_labels()
    names: dict[int, str] = {}
    entries = []
    for event in queries.thread_audit(thread):
        details = event.details or {}
        extra = ""
        action_label = labels.get(event.action, event.action.replace("_", " "))
        if event.action in _VISIBLE_REPLY_LABELS and details.get("visibility") in ("public",
                                                                               "private"):
            action_label = _VISIBLE_REPLY_LABELS[event.action][details["visibility"]]()
        elif event.action == "claimed" and details.get("on_reply"):
            action_label = _("took the thread by replying")
        if event.action in ("status_changed", "closed_abusive") and details.get("to_status"):
            extra = label("status", details["to_status"])
        elif event.action == "assigned":
            extra = details.get("to_name") or _("nobody")
        elif event.action == "ticket_linked":
            extra = details.get("tracking_number") or details.get("external_ref") or ""
        elif event.action == "ticket_status_changed":
            extra = details.get("to_status") or ""
        if event.actor is not None:
            names[event.actor.id] = event.actor.name
        entries.append({"at": event.at, "action": event.action,
                        "label": action_label,
                        "who": event.actor.name if event.actor else _("System"),
                        "extra": extra})
    return entries


def inbox_extras(filters: queries.InboxFilters) -> dict[str, Any]:
    """Bulk form, saved views, bounded counts and menus for the inbox page."""
    bulk_form = BulkForm(formdata=None)
    actions = [("claim", _("Claim")), ("resolve", _("Resolve")), ("close", _("Close"))]
    if current_user.role in ASSIGN_ROLES:
        actions.insert(1, ("assign", _("Assign to…")))
    bulk_form.action.choices = actions
    users = queries.care_users()
    bulk_form.assignee.choices = [("", _("Nobody"))] + [(str(u.id), u.name) for u in users]
    bulk_form.next.data = request.full_path.rstrip("?") if request.path == "/inbox" \
        else url_for("inbox.index", **filters.to_args())
    view_form = getattr(g, "view_form", None) or SavedViewForm(formdata=None)
    view_form.query.data = filters.to_query()
    counts = queries.status_counts(filters)
    return {
        "bulk": bulk_form, "views": queries.saved_views(current_user.id),
        "view_form": view_form, "delete_form": DeleteForm(formdata=None),
        "counts": {k: queries.format_count(v) for k, v in counts.items()},
        "users": users, "assign_allowed": current_user.role in ASSIGN_ROLES,
        "categories": CATEGORIES, "urgencies": URGENCY_FLAGS,
        "languages": queries.LANGUAGE_FILTERS, "sentiments": queries.SENTIMENT_FILTERS,
    }


def inbox_url(filters: queries.InboxFilters, **override: Any) -> str:
    """The inbox URL for these filters with some values changed."""
    args = filters.to_args(**override)
    return url_for("inbox.index") + ("?" + urlencode(args) if args else "")


def canned_for(thread: Thread) -> list[canned.FilledReply]:
    """The canned replies of the no-JS picker (the thread's language first)."""
    return canned.search(thread, _me(), "")


@bp.app_context_processor
def _action_globals() -> dict[str, Any]:
    return {"thread_actions": thread_actions,
            "audit_entries": audit_entries, "inbox_extras": inbox_extras,
            "inbox_url": inbox_url, "canned_for": canned_for}
