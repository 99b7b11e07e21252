"""Signing webhook bodies: `X-Triage-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
"<t>.<raw body>" with the subscription's secret."""

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "X-Triage-Signature"
EVENT_HEADER = "X-Triage-Event"
DELIVERY_HEADER = "X-Triage-Delivery"
SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    moment = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{moment}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={moment},v1={mac}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when the header signs this body with this secret and is recent enough."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        moment = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    expected = hmac.new(secret.encode(), f"{moment}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = abs((time.time() if now is None else now) - moment) <= tolerance
    return fresh and hmac.compare_digest(expected, given)
