"""Import every model module so that the metadata is complete wherever the app starts."""

from app.absences.models import Absence, AbsenceKind
from app.audit.models import AuditEvent
from app.auth.models import ApiToken, LoginAttempt, User, UserRole
from app.core.models import PendingUpload, Setting
from app.feedback.models import (
    EngagementFigure,
    FeedbackSource,
    FollowUpCase,
    ImportBatch,
    KpiDefinition,
    KpiValue,
    PeriodLock,
    ResponseContact,
    ResponseFingerprint,
    ResponseFlag,
    SurveyInvitations,
    SurveyResponse,
)
from app.incentives.models import (
    BonusRun,
    LineQuestion,
    ObjectiveAck,
    ObjectivePublication,
    RunAdjustment,
    RunLine,
    Scheme,
    SchemeVersion,
)
from app.mappings.models import ImportMapping
from app.notify.models import Notification, NotificationPreference
from app.org.models import Assignment, Employee, ManagerScope, Region, Store
from app.pulse.models import PulseAnswer, PulseParticipation, PulseQuestion, PulseStore, PulseSurvey
from app.recognition.models import (
    Award,
    Badge,
    BadgeGrant,
    Budget,
    BudgetEntry,
    PointsEntry,
    RecognitionPreference,
    Redemption,
    Reward,
)
from app.reports.models import PayrollExport, RenderJob, StatementDocument
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "EngagementFigure",
    "Absence",
    "AbsenceKind",
    "ApiToken",
    "Award",
    "Badge",
    "BadgeGrant",
    "Budget",
    "BudgetEntry",
    "PointsEntry",
    "PulseAnswer",
    "PulseParticipation",
    "PulseQuestion",
    "PulseStore",
    "PulseSurvey",
    "RecognitionPreference",
    "Redemption",
    "Reward",
    "BonusRun",
    "LineQuestion",
    "ObjectiveAck",
    "ObjectivePublication",
    "RunAdjustment",
    "RunLine",
    "Scheme",
    "SchemeVersion",
    "Assignment",
    "AuditEvent",
    "Employee",
    "FeedbackSource",
    "FollowUpCase",
    "ImportBatch",
    "ImportMapping",
    "KpiDefinition",
    "KpiValue",
    "PeriodLock",
    "ResponseContact",
    "Setting",
    "StatementDocument",
    "SurveyResponse",
    "LoginAttempt",
    "ManagerScope",
    "Notification",
    "NotificationPreference",
    "PayrollExport",
    "PendingUpload",
    "RenderJob",
    "Region",
    "ResponseFingerprint",
    "ResponseFlag",
    "Store",
    "SurveyInvitations",
    "User",
    "UserRole",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
