"""Canned replies: CRUD (admins), placeholder filling and search (agents)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, or_, select, true

from app.audit import record
from app.extensions import db
from app.models import Brand, CannedReply, Thread, Ticket, User
from app.models.canned import LANGUAGES, fold
from tone.types import CATEGORIES

PLACEHOLDERS = ("{first_name}", "{handle}", "{ticket}", "{agent}")
SEARCH_LIMIT = 20


class CannedError(ValueError):
    """A refused change, with the field it concerns."""

    def __init__(self, code: str, field: str) -> None:
        super().__init__(code)
        self.code = code
        self.field = field


def _validate(language: str, title: str, body: str, brand_id: int | None,
              category: str | None = None) -> None:
    if language not in LANGUAGES:
        raise CannedError("bad_language", "language")
    if category is not None and category not in CATEGORIES:
        raise CannedError("bad_category", "category")
    if not title.strip():
        raise CannedError("empty_title", "title")
    if not body.strip():
        raise CannedError("empty_body", "body")
    if brand_id is not None and db.session.get(Brand, brand_id) is None:
        raise CannedError("bad_brand", "brand_id")


def create(actor: User, *, language: str, title: str, body: str,
           brand_id: int | None = None, category: str | None = None) -> CannedReply:
    """Add a canned reply."""
    _validate(language, title, body, brand_id, category)
    reply = CannedReply(language=language, title=title.strip(), body=body.strip(),
                        brand_id=brand_id, category=category)
    reply.refresh_search_text()
    db.session.add(reply)
    db.session.flush()
    record(actor, "canned_created", "canned_reply", reply.id, title=reply.title)
    db.session.commit()
    return reply


def update(actor: User, reply: CannedReply, *, language: str, title: str, body: str,
           brand_id: int | None = None, category: str | None = None) -> CannedReply:
    """Change a canned reply."""
    _validate(language, title, body, brand_id, category)
    reply.language, reply.title, reply.body = language, title.strip(), body.strip()
    reply.brand_id, reply.category = brand_id, category
    reply.refresh_search_text()
    record(actor, "canned_updated", "canned_reply", reply.id, title=reply.title)
    db.session.commit()
    return reply


def delete(actor: User, reply: CannedReply) -> None:
    """Remove a canned reply."""
    record(actor, "canned_deleted", "canned_reply", reply.id, title=reply.title)
    db.session.delete(reply)
    db.session.commit()


def list_all() -> list[CannedReply]:
    """Every canned reply, by language then title (admin page)."""
    return list(db.session.scalars(select(CannedReply)
                                   .order_by(CannedReply.language, CannedReply.title)))


def _first_word(text: str | None) -> str:
    words = (text or "").split()
    return words[0] if words else ""


def fill(body: str, thread: Thread, agent: User) -> str:
    """Replace the placeholders for this thread and agent; unknown braces are left alone."""
    author = thread.author
    ticket_ref = ""
    if thread.ticket_id is not None:
        ticket = db.session.get(Ticket, thread.ticket_id)
        if ticket is not None:
            ticket_ref = ticket.tracking_number or ticket.external_ref or ""
    values = {
        "{first_name}": _first_word(author.display_name) or author.handle,
        "{handle}": author.handle,
        "{ticket}": ticket_ref,
        "{agent}": _first_word(agent.name),
    }
    for key, value in values.items():
        body = body.replace(key, value)
    return body.strip()


@dataclass(frozen=True)
class FilledReply:
    """A canned reply ready to insert for one thread."""

    id: int
    title: str
    language: str
    text: str
    category: str | None = None


def search(thread: Thread, agent: User, query: str = "",
           limit: int = SEARCH_LIMIT) -> list[FilledReply]:
    """Replies of the thread's brand (or every brand) matching ``query`` in title or body,
    case- and accent-insensitive; placeholders filled.

    Ranked for the thread: its category in its language first, then the replies for any
    category in its language, then its language, then its category, then the rest.
    """
    stmt = select(CannedReply).where(or_(CannedReply.brand_id.is_(None),
                                            CannedReply.brand_id == thread.channel.brand_id))
    for word in fold(query)[:200].split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(CannedReply.search_text.like(f"%{escaped}%", escape="\\"))
    language = thread.language if thread.language in LANGUAGES else None
    category = thread.category if thread.category in CATEGORIES else None
    # An unknown language or category matches every reply on that side.
    same_language = CannedReply.language == language if language else true()
    same_category = CannedReply.category == category if category else true()
    rank = case((and_(same_language, same_category), 0),
                (and_(same_language, CannedReply.category.is_(None)), 1),
                (same_language, 2),
                (same_category, 3),
                else_=4)
    stmt = stmt.order_by(rank, CannedReply.title, CannedReply.id).limit(limit)
    return [FilledReply(r.id, r.title, r.language, fill(r.body, thread, agent), r.category)
            for r in db.session.scalars(stmt)]
