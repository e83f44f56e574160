"""All models, imported here so that Alembic and the app see the whole schema."""

from app.models.audit import AuditEvent
from app.models.author import Author, Segment
from app.models.brand import Brand, Channel, ChannelStatus
from app.models.event import RealtimeEvent
from app.models.thread import (
    OPEN_STATUSES,
    Direction,
    Message,
    SendState,
    Thread,
    ThreadStatus,
    Visibility,
)
from app.models.ticket import Ticket, TicketStatus
from app.models.types import UTCDateTime, utcnow
from app.models.user import Role, User

__all__ = [
    "OPEN_STATUSES",
    "AuditEvent",
    "Author",
    "Brand",
    "Channel",
    "ChannelStatus",
    "Direction",
    "Message",
    "RealtimeEvent",
    "Role",
    "Segment",
    "SendState",
    "Thread",
    "ThreadStatus",
    "Ticket",
    "TicketStatus",
    "UTCDateTime",
    "User",
    "Visibility",
    "utcnow",
]
