"""All models, imported here so that Alembic and the app see the whole schema."""

from app.models.audit import AuditEvent
from app.models.author import Author, Segment
from app.models.brand import Brand, Channel, ChannelStatus
from app.models.canned import CannedReply
from app.models.correction import TriageCorrection
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
from app.models.view import SavedView

__all__ = [
    "OPEN_STATUSES",
    "AuditEvent",
    "Author",
    "Brand",
    "CannedReply",
    "Channel",
    "ChannelStatus",
    "Direction",
    "Message",
    "RealtimeEvent",
    "Role",
    "SavedView",
    "Segment",
    "SendState",
    "Thread",
    "ThreadStatus",
    "Ticket",
    "TicketStatus",
    "TriageCorrection",
    "UTCDateTime",
    "User",
    "Visibility",
    "utcnow",
]
