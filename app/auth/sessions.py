"""Desk sign-in: server-side sessions, CSRF tokens and throttling of failed attempts."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth import service as auth_service
from app.auth.models import DeskSession, LoginAttempt, User
from app.db import utcnow
from app.errors import RateLimited

SESSION_COOKIE = "triage_session"
SESSION_TTL = timedelta(hours=8)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20


@dataclass(frozen=True)
class DeskIdentity:
    user: User
    session: DeskSession

    @property
    def is_admin(self) -> bool:
        return self.user.role == "admin"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_throttle(session: Session, *, username: str, address: str | None) -> None:
    since = utcnow() - THROTTLE_WINDOW
    per_user = (
        session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.username == username, LoginAttempt.attempted_at >= since)
        )
        or 0
    )
    per_address = 0
    if address:
        per_address = (
            session.scalar(
                select(func.count())
                .select_from(LoginAttempt)
                .where(LoginAttempt.address == address, LoginAttempt.attempted_at >= since)
            )
            or 0
        )
    if per_user >= MAX_FAILURES_PER_USER or per_address >= MAX_FAILURES_PER_ADDRESS:
        raise RateLimited(
            "too many failed sign-in attempts; wait 15 minutes",
            headers={"Retry-After": str(int(THROTTLE_WINDOW.total_seconds()))},
        )


def sign_in(
    session: Session, *, username: str, password: str, address: str | None, user_agent: str | None
) -> tuple[DeskIdentity, str] | None:
    """A new session and its cookie token, or None for wrong credentials (the failure is
    recorded). Raises RateLimited once an account or address has failed too often."""
    username = username.strip()[:80]
    _check_throttle(session, username=username, address=address)
    user = auth_service.verify_user(session, username=username, password=password)
    if user is None:
        session.add(LoginAttempt(username=username, address=address))
        audit.record(
            session,
            action="desk.sign_in_failed",
            actor_type="anonymous",
            actor_label=username,
            details={"address": address},
        )
        session.commit()
        return None
    token = secrets.token_urlsafe(32)
    desk_session = DeskSession(
        token_hash=_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + SESSION_TTL,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(desk_session)
    audit.record(
        session,
        action="desk.signed_in",
        actor_type="user",
        actor_id=str(user.id),
        actor_label=user.username,
        details={"address": address},
    )
    session.commit()
    return DeskIdentity(user=user, session=desk_session), token


def resolve(session: Session, token: str | None) -> DeskIdentity | None:
    if not token or len(token) > 100:
        return None
    row = session.execute(
        select(DeskSession, User)
        .join(User, User.id == DeskSession.user_id)
        .where(DeskSession.token_hash == _hash(token))
    ).first()
    if row is None:
        return None
    desk_session, user = row
    if (
        desk_session.revoked_at is not None
        or desk_session.expires_at <= utcnow()
        or user.disabled_at is not None
    ):
        return None
    return DeskIdentity(user=user, session=desk_session)


def sign_out(session: Session, identity: DeskIdentity) -> None:
    session.execute(
        update(DeskSession).where(DeskSession.id == identity.session.id).values(revoked_at=utcnow())
    )
    audit.record(
        session,
        action="desk.signed_out",
        actor_type="user",
        actor_id=str(identity.user.id),
        actor_label=identity.user.username,
    )
    session.commit()


def csrf_matches(identity: DeskIdentity, presented: str | None) -> bool:
    return bool(presented) and secrets.compare_digest(identity.session.csrf_token, presented or "")
