"""Working-group API keys: random, shown once, stored hashed like portal keys, revocable."""

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth import service as auth_service
from app.db import utcnow
from app.dispatch.models import WorkingGroupKey
from app.errors import NotFound, Unauthenticated
from app.routing import service as routing_service

KEY_SCHEME = "twk"
LAST_USED_RESOLUTION = timedelta(minutes=1)
_BEARER = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class IssuedGroupKey:
    key_row: WorkingGroupKey
    key: str


def is_group_key(key: str) -> bool:
    return key.startswith(f"{KEY_SCHEME}_")


def create_key(
    session: Session, *, working_group_id: str, name: str | None = None
) -> IssuedGroupKey:
    """Create a key for one working group; the plain key exists only in the result."""
    group = next(
        (g for g in routing_service.working_groups(session) if g.id == working_group_id), None
    )
    if group is None:
        raise NotFound(f"no working group {working_group_id!r}")
    prefix = secrets.token_hex(6)
    key = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    row = WorkingGroupKey(
        working_group_id=group.id,
        name=name or f"{group.id} coordination",
        key_prefix=prefix,
        key_hash=auth_service.digest_key(key),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        action="wg_key.created",
        actor_type="system",
        details={"key_id": str(row.id), "working_group": group.id, "name": row.name},
    )
    session.commit()
    return IssuedGroupKey(key_row=row, key=key)


def revoke_key(session: Session, key_id: uuid.UUID) -> WorkingGroupKey:
    row = session.get(WorkingGroupKey, key_id)
    if row is None:
        raise NotFound("no such working-group key")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(
            session,
            action="wg_key.revoked",
            actor_type="system",
            details={"key_id": str(row.id), "working_group": row.working_group_id},
        )
    session.commit()
    return row


def authenticate(session: Session, key: str | None) -> WorkingGroupKey:
    """The active working-group key for a presented key, or raise Unauthenticated."""
    if not key:
        raise Unauthenticated(
            "a working-group API key is required: Authorization: Bearer <key>", headers=_BEARER
        )
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME:
        raise Unauthenticated("invalid API key", headers=_BEARER)
    row = session.scalar(select(WorkingGroupKey).where(WorkingGroupKey.key_prefix == parts[1]))
    if row is None or not hmac.compare_digest(row.key_hash, auth_service.digest_key(key)):
        raise Unauthenticated("invalid API key", headers=_BEARER)
    if row.revoked_at is not None:
        raise Unauthenticated("this API key has been revoked", headers=_BEARER)
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        session.execute(
            update(WorkingGroupKey).where(WorkingGroupKey.id == row.id).values(last_used_at=now)
        )
    # End the read transaction: on SQLite it holds the write lock until it closes.
    session.commit()
    return row
