"""Use cases of triage corrections: correct a thread, list and export corrections.

``correct`` checks the labels, records who changed what (a ``TriageCorrection`` row and an
audit event), recomputes the thread's priority with the corrected labels, publishes
``thread.updated`` and commits once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlalchemy import select

from app.audit import record
from app.extensions import db
from app.models import Direction, Message, Thread, TriageCorrection, User
from app.realtime.publish import INBOX_ROOM, publish
from app.threads import thread_summary
from app.triage import score_priority
from tone import CATEGORIES, URGENCY_FLAGS, Analysis, UrgencyFlag


class CorrectionError(ValueError):
    """A refused correction; ``code`` is one of "category", "urgency", "stale"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _inbound_text(thread: Thread) -> tuple[str, str | None]:
    """The customer's first inbound message (what the triage read) and its language."""
    message = db.session.scalars(
        select(Message)
        .where(Message.thread_id == thread.id, Message.direction == Direction.INBOUND.value)
        .order_by(Message.platform_created_at, Message.id)
        .limit(1)
    ).first()
    if message is None:
        return "", thread.language
    return message.text or "", message.language or thread.language


def correct(actor: User, thread: Thread, category: str, urgency: Iterable[str],
            expected_version: int | None = None) -> TriageCorrection | None:
    """Set the thread's category and urgency flags; None when nothing changed."""
    if category not in CATEGORIES:
        raise CorrectionError("category")
    flags = [str(f) for f in urgency]
    if any(f not in URGENCY_FLAGS for f in flags):
        raise CorrectionError("urgency")
    if expected_version is not None and expected_version != thread.version:
        raise CorrectionError("stale")
    after = [f for f in URGENCY_FLAGS if f in flags]  # canonical order, no repeats
    before = list(thread.urgency or [])
    if thread.category == category and sorted(before) == sorted(after):
        return None
    text, language = _inbound_text(thread)
    correction = TriageCorrection(
        thread_id=thread.id, user_id=actor.id, category_before=thread.category,
        category_after=category, urgency_before=before, urgency_after=after,
        text=text, language=language,
    )
    db.session.add(correction)
    record(actor, "triage_corrected", "thread", thread.id,
           category=[thread.category, category], urgency=[before, after])
    thread.category = category
    thread.urgency = after
    analysis = Analysis(
        language=thread.language or "other", polarity=thread.sentiment or 0.0,
        subjectivity=0.0, category=category,
        urgency=tuple(UrgencyFlag(f, ()) for f in after), pii=(),
    )
    author = thread.author
    thread.priority = score_priority(
        analysis, followers=author.followers if author else None,
        segment=author.segment if author else "private", waited_seconds=0.0,
        brand_settings=thread.channel.brand.settings if thread.channel else None,
    )
    thread.version += 1
    db.session.flush()
    publish("thread.updated", thread_summary(thread), INBOX_ROOM)
    db.session.commit()
    return correction


def history(thread: Thread) -> list[TriageCorrection]:
    """The thread's corrections, oldest first."""
    return list(db.session.scalars(
        select(TriageCorrection).where(TriageCorrection.thread_id == thread.id)
        .order_by(TriageCorrection.created_at, TriageCorrection.id)
    ))


def export_lines(since: datetime | None = None) -> Iterator[str]:
    """Corrections as labelled JSON lines, the last correction of each thread winning.

    Each line: id, text, language, category, urgency, corrected_by, corrected_at and the
    labels before, the format ``tone/data/corrections/*.jsonl`` is read in.
    """
    query = select(TriageCorrection).order_by(TriageCorrection.created_at, TriageCorrection.id)
    if since is not None:
        query = query.where(TriageCorrection.created_at >= since)
    latest: dict[int, TriageCorrection] = {}
    for item in db.session.scalars(query):
        latest[item.thread_id] = item
    for item in latest.values():
        if not item.text.strip():
            continue
        yield json.dumps({
            "id": f"thread-{item.thread_id}",
            "text": item.text,
            "language": item.language,
            "category": item.category_after,
            "urgency": list(item.urgency_after),
            "category_before": item.category_before,
            "urgency_before": list(item.urgency_before),
            "corrected_by": item.user.email if item.user else None,
            "corrected_at": item.created_at.isoformat(),
        }, ensure_ascii=False)
