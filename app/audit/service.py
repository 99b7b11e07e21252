"""Recording audit events; callers own the transaction."""

import uuid
from typing import Any, Required, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent


class EventFields(TypedDict, total=False):
    action: Required[str]
    actor_type: Required[str]
    actor_id: str | None
    actor_label: str | None
    request_id: uuid.UUID | None
    details: dict[str, Any] | None


def event(**fields: Unpack[EventFields]) -> AuditEvent:
    """An event not yet in any session, for callers that write their rows in bulk."""
    return AuditEvent(**{**fields, "details": fields.get("details") or {}})


def record(session: Session, **fields: Unpack[EventFields]) -> AuditEvent:
    recorded = event(**fields)
    session.add(recorded)
    return recorded


def timeline(session: Session, request_id: uuid.UUID) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.request_id == request_id)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return list(session.scalars(stmt))
