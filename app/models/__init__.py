"""All models, imported here so that Alembic and the app see the whole schema."""

from app.models.audit import AuditEvent
from app.models.author import Author, Segment
from app.models.brand import Brand, Channel, ChannelStatus
from app.models.brand_report import BrandReportSettings, SurveyFallback
from app.models.canned import CannedReply
from app.models.correction import TriageCorrection
from app.models.dashboard import DashboardWatermark, DayRollup, MonthRollup, ThreadFact
from app.models.event import RealtimeEvent
from app.models.review import (
    AgentReport,
    CalibrationScore,
    Dispute,
    DisputeStatus,
    Review,
    ReviewItem,
    ReviewNotification,
    ReviewSettings,
    ReviewStatus,
    RubricVersion,
)
from app.models.survey import Survey, SurveyState
from app.models.thread import (
    ACTIVE_PREDICATE,
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
from app.models.webhook import WebhookDelivery

__all__ = [
    "ACTIVE_PREDICATE",
    "OPEN_STATUSES",
    "AgentReport",
    "AuditEvent",
    "Author",
    "Brand",
    "BrandReportSettings",
    "CalibrationScore",
    "CannedReply",
    "Channel",
    "ChannelStatus",
    "DashboardWatermark",
    "DayRollup",
    "Direction",
    "Dispute",
    "DisputeStatus",
    "Message",
    "MonthRollup",
    "RealtimeEvent",
    "Review",
    "ReviewItem",
    "ReviewNotification",
    "ReviewSettings",
    "ReviewStatus",
    "Role",
    "RubricVersion",
    "SavedView",
    "Segment",
    "SendState",
    "Survey",
    "SurveyFallback",
    "SurveyState",
    "Thread",
    "ThreadFact",
    "ThreadStatus",
    "Ticket",
    "TicketStatus",
    "TriageCorrection",
    "UTCDateTime",
    "User",
    "Visibility",
    "WebhookDelivery",
    "utcnow",
]
