"""Recording audit events; callers own the transaction."""

import uuid
from typing import Any, Required, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.db import NewRow, new_row


class EventFields(TypedDict, total=False):
    action: Required[str]
    actor_type: Required[str]
    actor_id: str | None
    actor_label: str | None
    request_id: uuid.UUID | None
    details: dict[str, Any] | None


def event(**fields: Unpack[EventFields]) -> NewRow:
    """An event as a row, for callers that write their rows in bulk (`db.insert_all`)."""
    return new_row(AuditEvent, **{**fields, "details": fields.get("details") or {}})


def record(session: Session, **fields: Unpack[EventFields]) -> AuditEvent:
    recorded = AuditEvent(**{**fields, "details": fields.get("details") or {}})
    session.add(recorded)
    return recorded


def timeline(session: Session, request_id: uuid.UUID) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.request_id == request_id)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return list(session.scalars(stmt))
