"""Audit events of desk users: who (the signed-in officer) did what, to which request."""

import uuid
from typing import Any

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.sessions import DeskIdentity


def record(
    session: Session,
    identity: DeskIdentity,
    action: str,
    *,
    request_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add the event to the caller's transaction."""
    audit.record(
        session,
        action=action,
        actor_type="user",
        actor_id=str(identity.user.id),
        actor_label=identity.user.username,
        request_id=request_id,
        details=details,
    )
