"""Every domain's tables, imported once: the registry Alembic and the tests read."""

from app.audit.models import AuditEvent
from app.auth.models import DeskSession, LoginAttempt, PortalClient, User
from app.dashboards.models import MonthSnapshot, RequestFact
from app.db import Base
from app.desk.models import DeskJob, Review
from app.dispatch.models import Assignment, OutboxEntry, WorkingGroupKey
from app.intake.models import (
    AssistanceRequest,
    Attachment,
    ReferenceCounter,
    RequestArea,
    RequestParagraph,
)
from app.routing.models import RoutingRule, WorkingGroup
from app.triage.models import ModelVersion, TrainingExample, TriageResult
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "Assignment",
    "AssistanceRequest",
    "Attachment",
    "AuditEvent",
    "Base",
    "DeskJob",
    "DeskSession",
    "LoginAttempt",
    "ModelVersion",
    "MonthSnapshot",
    "OutboxEntry",
    "PortalClient",
    "ReferenceCounter",
    "RequestArea",
    "RequestFact",
    "RequestParagraph",
    "Review",
    "RoutingRule",
    "TrainingExample",
    "TriageResult",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "WorkingGroup",
    "WorkingGroupKey",
]
