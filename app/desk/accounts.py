"""Desk users: their interface language, and an administrator's user management."""

import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import web
from app.auth import service as auth_service
from app.auth.models import ROLES, DeskSession, User
from app.auth.sessions import DeskIdentity
from app.db import utcnow
from app.desk import trail
from app.errors import Conflict, InvalidInput, NotFound


def set_own_locale(session: Session, identity: DeskIdentity, *, locale: str) -> None:
    if locale not in web.LOCALES:
        raise InvalidInput(f"the interface speaks {', '.join(web.LOCALES)}", field="locale")
    session.execute(update(User).where(User.id == identity.user.id).values(locale=locale))
    session.commit()


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def create_user(
    session: Session, *, username: str, role: str, password: str, identity: DeskIdentity
) -> User:
    """Create a user (auth.service commits it), then record which administrator did it."""
    username = username.strip()
    if not username or len(username) > 80 or not username.isprintable():
        raise InvalidInput("a username has 1 to 80 printable characters", field="username")
    user = auth_service.create_user(session, username=username, role=role, password=password)
    trail.record(
        session,
        identity,
        "admin.user_created",
        details={"user_id": str(user.id), "username": user.username, "role": user.role},
    )
    session.commit()
    return user


def _user(session: Session, user_id: str) -> User:
    try:
        user = session.get(User, uuid.UUID(user_id))
    except ValueError:
        user = None
    if user is None:
        raise NotFound("no such user")
    return user


def _other_admins(session: Session, user: User) -> int:
    return len(
        session.scalars(
            select(User.id).where(
                User.role == "admin", User.disabled_at.is_(None), User.id != user.id
            )
        ).all()
    )


def set_role(session: Session, user_id: str, *, role: str, identity: DeskIdentity) -> User:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role")
    user = _user(session, user_id)
    if user.role == "admin" and role != "admin" and _other_admins(session, user) == 0:
        raise Conflict("the last active administrator cannot lose the role")
    previous = user.role
    user.role = role
    trail.record(
        session,
        identity,
        "admin.user_role_changed",
        details={"user_id": str(user.id), "username": user.username, "from": previous, "to": role},
    )
    session.commit()
    return user


def set_disabled(session: Session, user_id: str, *, disabled: bool, identity: DeskIdentity) -> User:
    """Disable (and sign out everywhere) or enable a user; nobody disables themselves."""
    user = _user(session, user_id)
    if user.id == identity.user.id and disabled:
        raise Conflict("you cannot disable your own account")
    if disabled and user.role == "admin" and _other_admins(session, user) == 0:
        raise Conflict("the last active administrator cannot be disabled")
    now = utcnow()
    user.disabled_at = now if disabled else None
    if disabled:
        session.execute(
            update(DeskSession)
            .where(DeskSession.user_id == user.id, DeskSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    trail.record(
        session,
        identity,
        "admin.user_disabled" if disabled else "admin.user_enabled",
        details={"user_id": str(user.id), "username": user.username},
    )
    session.commit()
    return user
