"""The working-group REST API: inbox, claims, transitions and dead letters."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.db import SessionDep
from app.deps import SettingsDep
from app.dispatch import claims, inbox
from app.dispatch.deps import CurrentWorkingGroup, StreamQueueDep
from app.dispatch.models import AssignmentStatus
from app.dispatch.schemas import (
    AssignmentDetail,
    AssignmentPage,
    AssignmentRead,
    ClaimCreate,
    ClaimRead,
    DeclineCreate,
)

router = APIRouter(prefix="/api/v1/wg", tags=["working groups"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing, invalid or revoked working-group key"},
    404: {"description": "no such assignment for this working group"},
    409: {"description": "the assignment cannot make this transition"},
    422: {"description": "invalid input"},
    503: {"description": "the queue or the database is down"},
}


@router.get("/inbox", responses=ERRORS, summary="List the group's delivered assignments")
def list_inbox(
    session: SessionDep,
    group: CurrentWorkingGroup,
    status: AssignmentStatus | None = None,
    overdue: Annotated[bool | None, Query(description="past the acknowledgement limit")] = None,
    dead_lettered: bool | None = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> AssignmentPage:
    """Newest delivery first; pass `next_cursor` back as `cursor` for the next page."""
    return inbox.list_inbox(
        session,
        key=group,
        status=status,
        overdue=overdue,
        dead_lettered=dead_lettered,
        cursor=cursor,
        limit=limit,
    )


@router.post("/claim", responses=ERRORS, summary="Claim a batch of unacknowledged assignments")
def claim(
    body: ClaimCreate,
    session: SessionDep,
    group: CurrentWorkingGroup,
    queue: StreamQueueDep,
    settings: SettingsDep,
) -> ClaimRead:
    """Entries not acknowledged within the visibility timeout are handed out again (to any
    consumer); after too many deliveries they go to the dead letters instead."""
    return claims.claim(
        session,
        key=group,
        consumer=body.consumer,
        count=body.count,
        visibility_timeout=body.visibility_timeout or settings.dispatch_visibility_timeout,
        max_deliveries=settings.dispatch_max_deliveries,
        queue=queue,
    )


@router.get("/dead-letters", responses=ERRORS, summary="Assignments delivered too often")
def dead_letters(session: SessionDep, group: CurrentWorkingGroup) -> list[AssignmentRead]:
    return inbox.dead_letters_for(session, key=group)


@router.get(
    "/assignments/{assignment_id}",
    responses=ERRORS,
    summary="Read one assignment with the request's text",
)
def get_assignment(
    assignment_id: str, session: SessionDep, group: CurrentWorkingGroup
) -> AssignmentDetail:
    return inbox.get_assignment(session, assignment_id, key=group)


@router.post(
    "/assignments/{assignment_id}/acknowledge", responses=ERRORS, summary="Acknowledge receipt"
)
def acknowledge(
    assignment_id: str, session: SessionDep, group: CurrentWorkingGroup, queue: StreamQueueDep
) -> AssignmentRead:
    return inbox.transition(
        session, assignment_id, key=group, to=AssignmentStatus.ACKNOWLEDGED, queue=queue
    )


@router.post(
    "/assignments/{assignment_id}/start",
    responses=ERRORS,
    summary="Mark the assignment in progress",
)
def start(
    assignment_id: str, session: SessionDep, group: CurrentWorkingGroup, queue: StreamQueueDep
) -> AssignmentRead:
    return inbox.transition(
        session, assignment_id, key=group, to=AssignmentStatus.IN_PROGRESS, queue=queue
    )


@router.post(
    "/assignments/{assignment_id}/complete",
    responses=ERRORS,
    summary="Mark the assignment completed",
)
def complete(
    assignment_id: str, session: SessionDep, group: CurrentWorkingGroup, queue: StreamQueueDep
) -> AssignmentRead:
    return inbox.transition(
        session, assignment_id, key=group, to=AssignmentStatus.COMPLETED, queue=queue
    )


@router.post(
    "/assignments/{assignment_id}/decline",
    responses=ERRORS,
    summary="Decline the assignment, with a reason",
)
def decline(
    assignment_id: str,
    body: DeclineCreate,
    session: SessionDep,
    group: CurrentWorkingGroup,
    queue: StreamQueueDep,
) -> AssignmentRead:
    return inbox.transition(
        session,
        assignment_id,
        key=group,
        to=AssignmentStatus.DECLINED,
        reason=body.reason,
        queue=queue,
    )
