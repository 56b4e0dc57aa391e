"""Import every model module so that the metadata is complete wherever the app starts."""

from app.audit.models import AuditEvent
from app.auth.models import ApiToken, LoginAttempt, User, UserRole
from app.core.models import PendingUpload, Setting
from app.feedback.models import (
    FeedbackSource,
    FollowUpCase,
    ImportBatch,
    KpiDefinition,
    KpiValue,
    PeriodLock,
    ResponseContact,
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
from app.org.models import Assignment, Employee, ManagerScope, Region, Store
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

__all__ = [
    "ApiToken",
    "Award",
    "Badge",
    "BadgeGrant",
    "Budget",
    "BudgetEntry",
    "PointsEntry",
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
    "KpiDefinition",
    "KpiValue",
    "PeriodLock",
    "ResponseContact",
    "Setting",
    "StatementDocument",
    "SurveyResponse",
    "LoginAttempt",
    "ManagerScope",
    "PayrollExport",
    "PendingUpload",
    "RenderJob",
    "Region",
    "Store",
    "User",
    "UserRole",
]
