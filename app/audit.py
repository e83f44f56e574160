"""Recording audit events; the calling use case commits them with its own change."""

from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import AuditEvent, User


def record(
    actor: User | None,
    action: str,
    object_type: str,
    object_id: int | None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction (flushed, not committed)."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )
    db.session.add(event)
    return event
