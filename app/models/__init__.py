"""Typed SQLAlchemy 2 models. Importing this package registers every table on ``Base.metadata``."""

from .attachment import Attachment
from .audit import AuditEvent
from .base import Base
from .calendar import CalendarOverride
from .case import Case, CaseStatus
from .certificate import Certificate
from .comment import CaseComment, CommentVisibility
from .credit import CreditRecord
from .draft import Draft, DraftAttachment
from .identity import ExternalIdentity
from .integration import IntegrationClient, MessageReceipt, MessageWait
from .notification import EmailState, Notification
from .personal import PersonalValue
from .process import ProcessVersion
from .rating import ServiceRating
from .saved_filter import SavedFilter
from .search import CaseSearch
from .setting import RuntimeSetting
from .stored_object import StoredChunk, StoredObject
from .substitution import Substitution
from .task import HumanTask, TaskState
from .timer import Timer, TimerKind
from .user import Group, Membership, User, UserKind
from .webhook import DeliveryState, Webhook, WebhookDelivery

__all__ = [
    "Attachment",
    "AuditEvent",
    "Base",
    "CalendarOverride",
    "Certificate",
    "CreditRecord",
    "DeliveryState",
    "Draft",
    "DraftAttachment",
    "EmailState",
    "ExternalIdentity",
    "IntegrationClient",
    "MessageReceipt",
    "MessageWait",
    "Notification",
    "PersonalValue",
    "Case",
    "CaseComment",
    "CaseSearch",
    "CaseStatus",
    "CommentVisibility",
    "Group",
    "HumanTask",
    "Membership",
    "ProcessVersion",
    "RuntimeSetting",
    "SavedFilter",
    "ServiceRating",
    "StoredChunk",
    "StoredObject",
    "Substitution",
    "TaskState",
    "Timer",
    "TimerKind",
    "User",
    "UserKind",
    "Webhook",
    "WebhookDelivery",
]
