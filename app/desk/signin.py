"""Signing in and out of the desk, and the CSRF token of the sign-in form.

Before sign-in there is no session to hold a CSRF token, so the form uses a signed double
submit: a random value in an HttpOnly cookie, and the same value signed with the secret key in
the form. A cross-site page can make the browser send the cookie but cannot read it, nor forge
the signature of a value it does not know.
"""

import secrets
from dataclasses import dataclass
from enum import StrEnum

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from app.auth import sessions
from app.auth.sessions import DeskIdentity
from app.errors import RateLimited

LOGIN_COOKIE = "triage_login_csrf"
LOGIN_TOKEN_MAX_AGE = 2 * 60 * 60
_SALT = "desk-login-csrf"
_SAFE_PREFIXES = ("/desk/", "/dashboards/", "/dashboards")


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALT)


def form_token(secret_key: str, nonce: str) -> str:
    return _serializer(secret_key).dumps(nonce)


def token_matches(secret_key: str, *, cookie: str | None, token: str | None) -> bool:
    """True when the form's token is ours, recent, and signs the cookie's value."""
    if not cookie or not token or len(token) > 500:
        return False
    try:
        signed = _serializer(secret_key).loads(token, max_age=LOGIN_TOKEN_MAX_AGE)
    except BadSignature:
        return False
    return isinstance(signed, str) and secrets.compare_digest(signed, cookie)


def usable_nonce(cookie: str | None) -> str | None:
    """The cookie's nonce when it looks like one of ours (reused so two open tabs both work)."""
    if cookie and 20 <= len(cookie) <= 100 and cookie.replace("-", "").replace("_", "").isalnum():
        return cookie
    return None


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: only a path of this site's pages, never another host."""
    if (
        target
        and target.startswith(_SAFE_PREFIXES)
        and not target.startswith("//")
        and "\\" not in target
        and all(ch.isprintable() and not ch.isspace() for ch in target)
        and len(target) <= 1000
    ):
        return target
    return "/desk/queue"


class Outcome(StrEnum):
    SIGNED_IN = "signed_in"
    WRONG_CREDENTIALS = "wrong_credentials"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class SignIn:
    outcome: Outcome
    token: str | None = None
    identity: DeskIdentity | None = None


def sign_in(
    session: Session,
    *,
    username: str,
    password: str,
    address: str | None,
    user_agent: str | None,
) -> SignIn:
    """Check the credentials; a success opens a session (committed by auth.sessions)."""
    if not username.strip() or not password or len(password) > 1000:
        return SignIn(Outcome.WRONG_CREDENTIALS)
    try:
        result = sessions.sign_in(
            session, username=username, password=password, address=address, user_agent=user_agent
        )
    except RateLimited:
        session.rollback()
        return SignIn(Outcome.THROTTLED)
    if result is None:
        return SignIn(Outcome.WRONG_CREDENTIALS)
    identity, token = result
    return SignIn(Outcome.SIGNED_IN, token=token, identity=identity)


def sign_out(session: Session, identity: DeskIdentity) -> None:
    sessions.sign_out(session, identity)
