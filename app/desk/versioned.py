"""Loading a request for a decision: the form's version must be the stored one, and the write
fails if another decision lands in between (the version column), so nothing is overwritten."""

import uuid

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.db import utcnow
from app.errors import Conflict, NotFound
from app.intake.models import AssistanceRequest


class StaleRequest(Conflict):
    """The form was rendered from an older version of the request than the stored one."""

    code = "stale_version"

    def __init__(self, *, request_id: str, reference: str, sent: int | None, current: int):
        super().__init__(
            f"{reference} was changed by someone else after you opened it "
            f"(your form: version {sent}, now version {current}); nothing was saved",
            detail={"request_id": request_id, "sent_version": sent, "current_version": current},
        )
        self.request_id = request_id
        self.reference = reference
        self.sent = sent
        self.current = current


class NotDecided(Conflict):
    code = "not_decided"


class ActionRefused(Conflict):
    code = "action_refused"


def parse_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound("no such request") from None


def _version(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 10 else None


def load(session: Session, request_id: str, version: str | None) -> AssistanceRequest:
    """The request, if the form's version is the stored one; raises NotFound or StaleRequest."""
    request = session.get(AssistanceRequest, parse_id(request_id))
    if request is None:
        raise NotFound("no such request")
    sent = _version(version)
    if sent != request.version:
        raise _stale(request, sent)
    return request


def _stale(request: AssistanceRequest, sent: int | None) -> StaleRequest:
    return StaleRequest(
        request_id=str(request.id), reference=request.reference, sent=sent, current=request.version
    )


def touch(session: Session, request: AssistanceRequest, sent: int) -> None:
    """Write the request now, so a concurrent decision fails here on the version column."""
    request.updated_at = utcnow()
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        fresh = session.get(AssistanceRequest, request.id)
        raise StaleRequest(
            request_id=str(request.id),
            reference=request.reference,
            sent=sent,
            current=fresh.version if fresh else sent + 1,
        ) from None
