"""Ticket use cases: create or link from a thread, gather threads, escalate when left open."""

from __future__ import annotations

import re
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from app.audit import record
from app.extensions import db
from app.models import Thread, Ticket, TicketStatus, User, utcnow
from app.realtime.publish import INBOX_ROOM, publish
from app.sla.targets import escalation_due
from app.threads import bump_version, publish_thread_updated

EXTERNAL_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./#:-]{0,119}$")
OPEN_TICKET = (TicketStatus.OPEN.value, TicketStatus.PENDING.value)


class TicketError(ValueError):
    """A refused ticket action, with a code for the page."""


def _escalate_at(segment: str) -> datetime:
    cfg = current_app.config
    return escalation_due(utcnow(), segment, private_days=cfg["ESCALATE_PRIVATE_DAYS"],
                          professional_days=cfg["ESCALATE_PROFESSIONAL_DAYS"])


def tracking_number(ticket: Ticket) -> str:
    """CARE-2026-000123: prefix, year of creation, the ticket's own id (unique, no race)."""
    prefix = current_app.config["TICKET_PREFIX"]
    return f"{prefix}-{ticket.created_at.year}-{ticket.id:06d}"


def create_for_thread(actor: User, thread: Thread) -> Ticket:
    """Create a ticket with a tracking number and link the thread to it."""
    if thread.ticket_id is not None:
        raise TicketError("already_linked")
    ticket = Ticket(brand_id=thread.channel.brand_id, segment=thread.author.segment,
                    created_by_id=actor.id, status=TicketStatus.OPEN.value,
                    created_at=utcnow())
    ticket.escalate_at = _escalate_at(ticket.segment)
    db.session.add(ticket)
    db.session.flush()
    ticket.tracking_number = tracking_number(ticket)
    _link(actor, thread, ticket)
    db.session.commit()
    return ticket


def link_external(actor: User, thread: Thread, reference: str) -> Ticket:
    """Link the thread to an external helpdesk reference (one ticket per reference)."""
    reference = reference.strip()
    if not EXTERNAL_REF.match(reference):
        raise TicketError("bad_reference")
    if thread.ticket_id is not None:
        raise TicketError("already_linked")
    ticket = db.session.scalar(select(Ticket).filter_by(external_ref=reference))
    if ticket is None:
        ticket = Ticket(brand_id=thread.channel.brand_id, segment=thread.author.segment,
                        created_by_id=actor.id, external_ref=reference,
                        status=TicketStatus.OPEN.value, created_at=utcnow())
        ticket.escalate_at = _escalate_at(ticket.segment)
        db.session.add(ticket)
        db.session.flush()
    _link(actor, thread, ticket)
    db.session.commit()
    return ticket


def link_existing(actor: User, thread: Thread, ticket: Ticket) -> None:
    """Gather another thread (the same customer coming back) under an existing ticket."""
    if thread.ticket_id == ticket.id:
        return
    if thread.ticket_id is not None:
        raise TicketError("already_linked")
    _link(actor, thread, ticket)
    db.session.commit()


def _link(actor: User, thread: Thread, ticket: Ticket) -> None:
    thread.ticket_id = ticket.id
    bump_version(thread)
    record(actor, "ticket_linked", "thread", thread.id, ticket_id=ticket.id,
           tracking_number=ticket.tracking_number, external_ref=ticket.external_ref)
    publish_thread_updated(thread)


def external_url(ticket: Ticket) -> str | None:
    """The helpdesk URL of an external reference, from the configured pattern."""
    pattern = current_app.config.get("EXTERNAL_TICKET_URL") or ""
    if not ticket.external_ref or "{ref}" not in pattern:
        return None
    from urllib.parse import quote

    return pattern.replace("{ref}", quote(ticket.external_ref, safe=""))


def escalate_due() -> int:
    """Job: escalate tickets left unresolved past their escalation time; returns the count."""
    now = utcnow()
    due = list(db.session.scalars(select(Ticket).where(
        Ticket.status.in_(OPEN_TICKET), Ticket.escalate_at.is_not(None),
        Ticket.escalate_at <= now)))
    for ticket in due:
        ticket.status = TicketStatus.ESCALATED.value
        ticket.escalated_at = now
        record(None, "ticket_escalated", "ticket", ticket.id,
               tracking_number=ticket.tracking_number, segment=ticket.segment)
        publish("ticket.escalated", {"id": ticket.id, "tracking_number": ticket.tracking_number,
                                     "segment": ticket.segment}, INBOX_ROOM)
    db.session.commit()
    return len(due)


TICKET_STATUSES = (TicketStatus.OPEN.value, TicketStatus.PENDING.value,
                   TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value)


def change_ticket_status(actor: User, ticket: Ticket, status: str) -> bool:
    """Set a ticket's status; reopening restarts its escalation clock."""
    if status not in TICKET_STATUSES:
        raise TicketError("bad_status")
    if ticket.status == status:
        return False
    old = ticket.status
    ticket.status = status
    now = utcnow()
    if status in (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value):
        ticket.resolved_at = ticket.resolved_at or now
    else:
        ticket.resolved_at = None
        cfg = current_app.config
        ticket.escalate_at = escalation_due(
            now, ticket.segment, private_days=cfg["ESCALATE_PRIVATE_DAYS"],
            professional_days=cfg["ESCALATE_PROFESSIONAL_DAYS"])
    record(actor, "ticket_status_changed", "ticket", ticket.id, from_status=old,
           to_status=status, tracking_number=ticket.tracking_number)
    db.session.flush()
    publish("ticket.updated", {"id": ticket.id, "status": ticket.status,
                               "tracking_number": ticket.tracking_number}, INBOX_ROOM)
    db.session.commit()
    return True


def attach(actor: User, thread: Thread, ticket_id: int) -> Ticket:
    """Gather the thread under one of its customer's tickets (the same customer coming back)."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.id not in {t.id for t in author_tickets(thread.author_id)}:
        raise TicketError("not_this_author")
    link_existing(actor, thread, ticket)
    return ticket


def author_tickets(author_id: int, limit: int = 20) -> list[Ticket]:
    """Tickets gathering threads of this author, newest first."""
    ids = select(Thread.ticket_id).where(Thread.author_id == author_id,
                                         Thread.ticket_id.is_not(None))
    return list(db.session.scalars(
        select(Ticket).where(Ticket.id.in_(ids))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)))
