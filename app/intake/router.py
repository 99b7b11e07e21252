"""The portal REST API: submit, read and list requests, and preview a triage."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from starlette.background import BackgroundTask

from app.auth.deps import CurrentPortal, SubmittingPortal
from app.db import SessionDep
from app.deps import CatalogueDep, ClassifierDep
from app.dispatch.streams import Nudge
from app.intake import service
from app.intake.batching import IntakeBatcher
from app.intake.deps import (
    PREVIEW_BODY_DOC,
    REQUEST_BODY_DOC,
    IdempotencyKeyDep,
    PreviewDep,
    SubmissionDep,
)
from app.intake.models import RequestStatus
from app.intake.schemas import AssistanceRequestPage, AssistanceRequestRead, TriageRead

router = APIRouter(prefix="/api/v1", tags=["portal"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing, invalid or revoked API key"},
    404: {"description": "no such request for this State"},
    409: {"description": "Idempotency-Key reused with another body"},
    413: {"description": "body or attachment too large"},
    422: {"description": "invalid input"},
    429: {"description": "rate limited"},
    503: {"description": "a dependency is down"},
}


@router.post(
    "/requests",
    status_code=201,
    response_model=AssistanceRequestRead,
    responses=ERRORS,
    openapi_extra=REQUEST_BODY_DOC,
    summary="Submit an assistance request",
)
async def submit_request(
    request: Request,
    portal: SubmittingPortal,  # first: a stranger is refused before the body is even parsed
    submission: SubmissionDep,
    idempotency_key: IdempotencyKeyDep,
) -> Response:
    """Store the request and answer with its reference, detected language and triage.

    Send JSON, or multipart/form-data with the same fields plus PDF/DOCX `attachments`.
    Repeating a call with the same `Idempotency-Key` and body replays the first answer.
    """
    # The busiest route reads the app's parts directly: each dependency FastAPI resolves
    # costs it more than the part itself.
    batcher: IntakeBatcher = request.app.state.intake_batcher
    result = await batcher.submit(
        service.Intake(
            body=submission.body,
            portal=portal,
            attachments=submission.attachments,
            idempotency_key=idempotency_key,
        )
    )
    # Serialised here, from a model built and validated by the service: the busiest route
    # skips FastAPI's second validation of its answer.
    response = Response(
        result.read.model_dump_json(),
        status_code=201,
        media_type="application/json",
        headers={"Location": f"/api/v1/requests/{result.read.id}"},
    )
    if result.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    elif result.read.triage is not None and result.read.triage.decision == "auto_routed":
        nudge: Nudge = request.app.state.nudge
        if nudge.due():
            # After the answer, best effort: the dispatcher also polls.
            response.background = BackgroundTask(nudge)
    return response


@router.get("/requests/{request_id}", responses=ERRORS, summary="Read one of your requests")
def get_request(
    request_id: str, session: SessionDep, portal: CurrentPortal, catalogue: CatalogueDep
) -> AssistanceRequestRead:
    return service.get_for_portal(session, request_id, portal=portal, catalogue=catalogue)


@router.get("/requests", responses=ERRORS, summary="List your State's requests")
def list_requests(
    session: SessionDep,
    portal: CurrentPortal,
    catalogue: CatalogueDep,
    status: RequestStatus | None = None,
    received_from: Annotated[datetime | None, Query(description="inclusive, ISO 8601")] = None,
    received_to: Annotated[datetime | None, Query(description="exclusive, ISO 8601")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> AssistanceRequestPage:
    """Newest first; pass `next_cursor` back as `cursor` for the next page."""
    return service.list_for_portal(
        session,
        portal=portal,
        catalogue=catalogue,
        status=status,
        received_from=_aware(received_from),
        received_to=_aware(received_to),
        cursor=cursor,
        limit=limit,
    )


@router.post(
    "/triage/preview",
    responses=ERRORS,
    openapi_extra=PREVIEW_BODY_DOC,
    summary="Triage a text without storing it",
)
def preview(
    portal: CurrentPortal,
    body: PreviewDep,
    session: SessionDep,
    classifier: ClassifierDep,
    catalogue: CatalogueDep,
) -> TriageRead:
    """The triage the request would get; nothing is stored."""
    return service.preview(session, body, portal=portal, classifier=classifier, catalogue=catalogue)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
