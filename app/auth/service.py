"""Portal API keys (random, shown once, stored as SHA-256) and desk users (argon2)."""

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.auth.models import ROLES, PortalClient, User
from app.db import utcnow
from app.errors import AppError, Conflict, InvalidInput, NotFound, Unauthenticated

KEY_SCHEME = "tak"
# last_used_at is a hint for administrators; writing it on every call would serialise portals.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_hasher = PasswordHasher()


class UnknownState(AppError):
    status_code = 422
    code = "unknown_state"


@dataclass(frozen=True)
class IssuedKey:
    client: PortalClient
    key: str


def _digest(key: str) -> str:
    # Keys carry 256 bits of randomness: a fast hash is enough, and keeps every call cheap.
    return hashlib.sha256(key.encode()).hexdigest()


def digest_key(key: str) -> str:
    """The stored form of an API key; working-group keys are hashed the same way."""
    return _digest(key)


def create_api_key(
    session: Session, *, state_iso3: str, name: str | None = None, known_states: frozenset[str]
) -> IssuedKey:
    """Create a portal key bound to one Member State; the plain key exists only in the result."""
    state = state_iso3.strip().upper()
    if state not in known_states:
        raise UnknownState(f"unknown ISO 3166-1 alpha-3 code {state_iso3!r}")
    prefix = secrets.token_hex(6)
    key = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    client = PortalClient(
        name=name or f"{state} portal", state_iso3=state, key_prefix=prefix, key_hash=_digest(key)
    )
    session.add(client)
    session.flush()
    audit.record(
        session,
        action="portal_key.created",
        actor_type="system",
        details={"client_id": str(client.id), "state": state, "name": client.name},
    )
    session.commit()
    return IssuedKey(client=client, key=key)


def revoke_api_key(
    session: Session, client_id: uuid.UUID, *, actor: str | None = None
) -> PortalClient:
    client = session.get(PortalClient, client_id)
    if client is None:
        raise NotFound("no such portal key")
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        audit.record(
            session,
            action="portal_key.revoked",
            actor_type="user" if actor else "system",
            actor_id=actor,
            details={"client_id": str(client.id)},
        )
    session.commit()
    return client


def list_api_keys(session: Session) -> list[PortalClient]:
    return list(session.scalars(select(PortalClient).order_by(PortalClient.created_at.desc())))


def key_prefix(key: str | None) -> str:
    """The lookup prefix of a well-formed key; raises Unauthenticated for anything else."""
    if not key:
        raise Unauthenticated(
            "an API key is required: Authorization: Bearer <key>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME:
        raise Unauthenticated("invalid API key", headers={"WWW-Authenticate": "Bearer"})
    return parts[1]


def authenticate_portal(session: Session, key: str | None) -> PortalClient:
    """Return the active client for a presented key, or raise Unauthenticated."""
    prefix = key_prefix(key)
    assert key is not None
    client = session.scalar(select(PortalClient).where(PortalClient.key_prefix == prefix))
    if client is None or not hmac.compare_digest(client.key_hash, _digest(key)):
        raise Unauthenticated("invalid API key", headers={"WWW-Authenticate": "Bearer"})
    if client.revoked_at is not None:
        raise Unauthenticated(
            "this API key has been revoked", headers={"WWW-Authenticate": "Bearer"}
        )
    now = utcnow()
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
        session.execute(
            update(PortalClient).where(PortalClient.id == client.id).values(last_used_at=now)
        )
    # End the read transaction: on SQLite it holds the write lock until it closes.
    session.commit()
    return client


class PortalKeyCache:
    """Portal keys recently found valid, by digest, for callers that check revocation
    themselves (the submission batch does, in its own transaction).

    An entry lives `ttl` seconds, the resolution of last_used_at: the next call after that
    goes to the database again and records the use.
    """

    def __init__(self, *, ttl: float = LAST_USED_RESOLUTION.total_seconds(), size: int = 4096):
        self._ttl = ttl
        self._size = size
        self._entries: dict[str, tuple[float, PortalClient]] = {}

    def get(self, key: str) -> PortalClient | None:
        entry = self._entries.get(_digest(key))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, client: PortalClient) -> None:
        if len(self._entries) >= self._size:
            now = time.monotonic()
            self._entries = {k: e for k, e in self._entries.items() if e[0] >= now}
            if len(self._entries) >= self._size:
                self._entries.clear()
        self._entries[_digest(key)] = (time.monotonic() + self._ttl, client)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(session: Session, *, username: str, role: str, password: str) -> User:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role")
    if len(password) < 10:
        raise InvalidInput("password must have at least 10 characters", field="password")
    username = username.strip()
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} exists already")
    user = User(username=username, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit.record(
        session,
        action="user.created",
        actor_type="system",
        details={"user_id": str(user.id), "username": username, "role": role},
    )
    session.commit()
    return user


def verify_user(session: Session, *, username: str, password: str) -> User | None:
    """The user whose password matches, or None; rehashes when argon2 parameters changed."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.disabled_at is not None:
        # Spend the same time as a real check so usernames cannot be probed by timing.
        _hasher.hash(password)
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.commit()
    return user
