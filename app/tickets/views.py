"""Thin views of tickets: list, ticket page, status, create or link from a thread."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.inbox.views import render_thread
from app.models import Thread, Ticket, TicketStatus
from app.security import CARE_ROLES, current_actor, roles
from app.tickets import bp, services
from app.tickets.forms import (
    CreateTicketForm,
    ExternalTicketForm,
    LinkTicketForm,
    TicketStatusForm,
)

LIST_FILTERS = ("active", "all", *[s.value for s in TicketStatus])
LIST_LIMIT = 200


def _thread(thread_id: int) -> Thread:
    item = db.session.get(Thread, thread_id)
    if item is None:
        abort(404)
    return item


def _ticket(ticket_id: int) -> Ticket:
    item = db.session.get(Ticket, ticket_id)
    if item is None:
        abort(404)
    return item


def ticket_errors() -> dict[str, Any]:
    """Messages of refused ticket actions (translated per request)."""
    return {
        "already_linked": _("This thread is already linked to a ticket."),
        "bad_reference": _("A helpdesk reference is made of letters, digits and . _ / # : - "
                           "(120 characters at most)."),
        "not_this_author": _("This ticket does not belong to this customer."),
        "bad_status": _("Unknown ticket status."),
    }


def _back(thread_id: int) -> Any:
    return redirect(url_for("inbox.thread", thread_id=thread_id, _anchor="ticket-panel"))


def _render_thread_error(item: Thread, **forms: Any) -> Any:
    # The thread page is the inbox's; our panel reads the failed form from ``g``.
    for name, form in forms.items():
        setattr(g, name, form)
    return render_thread(item, status=400)


@bp.route("")
@roles(CARE_ROLES)
def index() -> Any:
    """Tickets, escalated first; ``?status=escalated`` keeps only escalated ones."""
    status = request.args.get("status", "active") or "active"
    bad = status not in LIST_FILTERS
    if bad:
        status = "active"
    stmt = select(Ticket)
    if status == "active":
        stmt = stmt.where(Ticket.status.in_(
            (TicketStatus.OPEN.value, TicketStatus.PENDING.value, TicketStatus.ESCALATED.value)))
    elif status != "all":
        stmt = stmt.where(Ticket.status == status)
    escalated_first = case((Ticket.status == TicketStatus.ESCALATED.value, 0), else_=1)
    tickets = list(db.session.scalars(
        stmt.order_by(escalated_first, Ticket.escalate_at, Ticket.id.desc()).limit(LIST_LIMIT)))
    counts = _thread_counts([t.id for t in tickets])
    return render_template("tickets/index.html", tickets=tickets, status=status, bad=bad,
                           filters=LIST_FILTERS, counts=counts, limit=LIST_LIMIT,
                           external_url=services.external_url)


def _thread_counts(ticket_ids: list[int]) -> dict[int, int]:
    if not ticket_ids:
        return {}
    rows = db.session.execute(
        select(Thread.ticket_id, func.count()).where(Thread.ticket_id.in_(ticket_ids))
        .group_by(Thread.ticket_id))
    return {tid: n for tid, n in rows if tid is not None}


@bp.route("/<int:ticket_id>")
@roles(CARE_ROLES)
def show(ticket_id: int) -> Any:
    """One ticket: its threads, status, escalation; status change."""
    ticket = _ticket(ticket_id)
    threads = list(db.session.scalars(
        select(Thread).where(Thread.ticket_id == ticket.id)
        .options(joinedload(Thread.author), joinedload(Thread.channel))
        .order_by(Thread.created_at, Thread.id)))
    form = TicketStatusForm(formdata=None)
    form.status.choices = [(s, ticket_status_label(s)) for s in services.TICKET_STATUSES]
    form.status.data = ticket.status
    return render_template("tickets/show.html", ticket=ticket, threads=threads, form=form,
                           external=services.external_url(ticket))


def ticket_status_label(status: str) -> str:
    """The translated label of a ticket status."""
    return {
        "open": _("Open"), "pending": _("Pending"), "escalated": _("Escalated"),
        "resolved": _("Resolved"), "closed": _("Closed"), "active": _("Active"),
        "all": _("All"),
    }.get(status, status)


def ticket_panel(thread: Thread) -> dict[str, Any]:
    """The ticket of a thread, or the forms to create / link / attach one."""
    ticket = db.session.get(Ticket, thread.ticket_id) if thread.ticket_id else None
    author_tickets = services.author_tickets(thread.author_id)
    attach_form = getattr(g, "attach_form", None) or LinkTicketForm(formdata=None, prefix="attach")
    attach_form.ticket_id.choices = [
        (str(t.id), t.tracking_number or t.external_ref or f"#{t.id}") for t in author_tickets]
    return {
        "ticket": ticket, "url": services.external_url(ticket) if ticket else None,
        "reference": (ticket.tracking_number or ticket.external_ref) if ticket else None,
        "create_form": CreateTicketForm(formdata=None, prefix="ticket"),
        "external_form": getattr(g, "external_form", None)
        or ExternalTicketForm(formdata=None, prefix="external"),
        "attach_form": attach_form, "author_tickets": author_tickets,
    }


@bp.app_context_processor
def _ticket_globals() -> dict[str, Any]:
    return {"ticket_status_label": ticket_status_label, "ticket_panel": ticket_panel,
            "ticket_external_url": services.external_url}


@bp.route("/<int:ticket_id>/status", methods=["POST"])
@roles(CARE_ROLES)
def set_status(ticket_id: int) -> Any:
    """Change a ticket's status (open, pending, resolved, closed)."""
    ticket = _ticket(ticket_id)
    form = TicketStatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = services.change_ticket_status(current_actor(),
                                                ticket, form.status.data or "")
    except services.TicketError as exc:
        flash(ticket_errors().get(str(exc), _("The change was refused.")), "error")
        return redirect(url_for("tickets.show", ticket_id=ticket_id)), 303
    if changed:
        flash(_("Ticket status changed."), "success")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


@bp.route("/threads/<int:thread_id>/create", methods=["POST"])
@roles(CARE_ROLES)
def create(thread_id: int) -> Any:
    """Create a ticket with a tracking number for the thread."""
    item = _thread(thread_id)
    if not CreateTicketForm(prefix="ticket").validate_on_submit():
        abort(400)
    try:
        ticket = services.create_for_thread(current_actor(), item)
    except services.TicketError as exc:
        flash(ticket_errors().get(str(exc), _("The ticket was not created.")), "error")
        return _back(thread_id)
    flash(_("Ticket %(number)s created.", number=ticket.tracking_number), "success")
    return _back(thread_id)


@bp.route("/threads/<int:thread_id>/external", methods=["POST"])
@roles(CARE_ROLES)
def link_external(thread_id: int) -> Any:
    """Link the thread to an external helpdesk reference."""
    item = _thread(thread_id)
    form = ExternalTicketForm(prefix="external")
    if not form.validate_on_submit():
        return _render_thread_error(item, external_form=form)
    try:
        ticket = services.link_external(current_actor(), item,
                                        form.reference.data or "")
    except services.TicketError as exc:
        form.reference.errors = [ticket_errors().get(str(exc), str(exc))]
        return _render_thread_error(_thread(thread_id), external_form=form)
    flash(_("Linked to %(ref)s.", ref=ticket.external_ref), "success")
    return _back(thread_id)


@bp.route("/threads/<int:thread_id>/attach", methods=["POST"])
@roles(CARE_ROLES)
def attach(thread_id: int) -> Any:
    """Attach the thread to an existing ticket of the same customer."""
    item = _thread(thread_id)
    form = LinkTicketForm(prefix="attach")
    raw = form.ticket_id.data or ""
    if not form.validate_on_submit() or not raw.isdigit() or len(raw) > 9:
        form.ticket_id.errors = [_("Choose one of this customer's tickets.")]
        return _render_thread_error(item, attach_form=form)
    try:
        ticket = services.attach(current_actor(), item, int(raw))
    except services.TicketError as exc:
        if str(exc) == "not_this_author":
            form.ticket_id.errors = [ticket_errors()["not_this_author"]]
            return _render_thread_error(item, attach_form=form)
        flash(ticket_errors().get(str(exc), _("The thread was not attached.")), "error")
        return _back(thread_id)
    flash(_("Thread attached to %(ref)s.",
            ref=ticket.tracking_number or ticket.external_ref), "success")
    return _back(thread_id)
