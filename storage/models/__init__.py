"""SQLAlchemy 2 typed models, one module per area. All times are stored in UTC.

Relationships name their targets by class name, so the modules need not import each other.
"""
from storage.models.assessment import ExpertReview, GradeDecision, Opinion, Outcome, Report
from storage.models.base import NAMING, Base
from storage.models.people import (
    Agreement,
    Commissioner,
    DispatchingUnit,
    Enterprise,
    Invite,
    RoleGrant,
    User,
)
from storage.models.selection import ChangeRequest, Disqualification, Need, Objection, Pairing
from storage.models.system import (
    AuditEntry,
    FsmRecord,
    OutboxMessage,
    ProcessedUpdate,
    RunningCount,
    SchedulerLease,
)
from storage.models.visits import StoredFile, Survey, Visit, VisitFeedback, VisitFile
from storage.models.web import WebLink, WebSession

__all__ = [
    "NAMING", "Base", "Agreement", "AuditEntry", "ChangeRequest", "Commissioner", "Disqualification", "ExpertReview", "Need",
    "Objection", "Pairing", "DispatchingUnit", "Enterprise", "FsmRecord",
    "GradeDecision", "Invite", "Opinion", "Outcome", "OutboxMessage", "ProcessedUpdate", "Report", "RoleGrant", "RunningCount",
    "SchedulerLease", "StoredFile", "Survey", "User", "Visit", "VisitFeedback", "VisitFile", "WebLink", "WebSession",
]
