"""Recording audit events; callers own the transaction."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent


def event(
    *,
    action: str,
    actor_type: str,
    actor_id: str | None = None,
    actor_label: str | None = None,
    request_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """An event not yet in any session, for callers that write their rows in bulk."""
    return AuditEvent(
        action=action,
        actor_type=actor_type,
        actor_id=actor_id,
        actor_label=actor_label,
        request_id=request_id,
        details=details or {},
    )


def record(
    session: Session,
    *,
    action: str,
    actor_type: str,
    actor_id: str | None = None,
    actor_label: str | None = None,
    request_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    recorded = event(
        action=action,
        actor_type=actor_type,
        actor_id=actor_id,
        actor_label=actor_label,
        request_id=request_id,
        details=details,
    )
    session.add(recorded)
    return recorded


def timeline(session: Session, request_id: uuid.UUID) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.request_id == request_id)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return list(session.scalars(stmt))
