"""Each request's status follows its assignments; a change queues the submitting portal's
status callback. Used by the dispatcher and by the working groups' transitions."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.dispatch.models import Assignment, AssignmentStatus
from app.intake.models import AssistanceRequest, RequestStatus
from app.webhooks import service as webhooks

CLOSED = frozenset({AssignmentStatus.COMPLETED, AssignmentStatus.DECLINED})
# Request statuses that follow the assignments; duplicate and out_of_scope are left alone.
FOLLOWS_ASSIGNMENTS = frozenset(
    {
        RequestStatus.RECEIVED,
        RequestStatus.TRIAGED,
        RequestStatus.NEEDS_REVIEW,
        RequestStatus.DISPATCHED,
        RequestStatus.ACKNOWLEDGED,
        RequestStatus.IN_PROGRESS,
        RequestStatus.COMPLETED,
        RequestStatus.DECLINED,
    }
)
PORTAL_EVENTS = {
    RequestStatus.DISPATCHED: "request.dispatched",
    RequestStatus.ACKNOWLEDGED: "request.acknowledged",
    RequestStatus.COMPLETED: "request.completed",
    RequestStatus.DECLINED: "request.declined",
}


def aggregate_status(statuses: Iterable[str]) -> RequestStatus | None:
    """A request's status from its assignments: all closed → completed (or declined when every
    group declined); otherwise the furthest an open or completed assignment has come."""
    seen = {AssignmentStatus(s) for s in statuses} - {AssignmentStatus.PENDING}
    if not seen:
        return None
    if seen <= CLOSED:
        return (
            RequestStatus.COMPLETED
            if AssignmentStatus.COMPLETED in seen
            else RequestStatus.DECLINED
        )
    if seen & {AssignmentStatus.IN_PROGRESS, AssignmentStatus.COMPLETED}:
        return RequestStatus.IN_PROGRESS
    if AssignmentStatus.ACKNOWLEDGED in seen:
        return RequestStatus.ACKNOWLEDGED
    return RequestStatus.DISPATCHED


@dataclass(frozen=True)
class StatusChange:
    request_id: uuid.UUID
    reference: str
    portal_client_id: uuid.UUID | None
    previous: str
    status: RequestStatus
    groups: list[dict[str, Any]]
    at: datetime


def sync_request_statuses(
    session: Session, request_ids: Iterable[uuid.UUID], *, now: datetime
) -> list[StatusChange]:
    """Move each request to the status its assignments imply; flushes, never commits.

    Request rows are locked in id order so concurrent dispatchers cannot deadlock on them;
    the version column is bumped so a desk officer's concurrent edit sees the change.
    """
    ids = sorted(set(request_ids))
    if not ids:
        return []
    session.flush()
    requests = session.execute(
        select(
            AssistanceRequest.id,
            AssistanceRequest.status,
            AssistanceRequest.reference,
            AssistanceRequest.portal_client_id,
        )
        .where(AssistanceRequest.id.in_(ids))
        .order_by(AssistanceRequest.id)
        .with_for_update()
    ).all()
    groups: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for request_id, group, status, reason in session.execute(
        select(
            Assignment.request_id,
            Assignment.working_group_id,
            Assignment.status,
            Assignment.decline_reason,
        )
        .where(Assignment.request_id.in_(ids))
        .order_by(Assignment.working_group_id)
    ):
        groups[request_id].append({"id": group, "status": status, "decline_reason": reason})
    changes: list[StatusChange] = []
    for request_id, current, reference, portal_client_id in requests:
        new = aggregate_status(g["status"] for g in groups[request_id])
        if new is None or new == current or current not in FOLLOWS_ASSIGNMENTS:
            continue
        changes.append(
            StatusChange(
                request_id, reference, portal_client_id, current, new, groups[request_id], now
            )
        )
    for status in {c.status for c in changes}:
        session.execute(
            update(AssistanceRequest)
            .where(AssistanceRequest.id.in_([c.request_id for c in changes if c.status == status]))
            .values(status=status.value, version=AssistanceRequest.version + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    return changes


def emit_status_changes(fanout: "webhooks.Fanout", changes: Iterable[StatusChange]) -> None:
    """Queue a status callback to the submitting portal's subscriptions for each change."""
    for change in changes:
        event = PORTAL_EVENTS.get(change.status)
        if event is None or change.portal_client_id is None:
            continue
        fanout.emit(
            event=event,
            request_id=change.request_id,
            portal_client_id=change.portal_client_id,
            payload={
                "request_id": str(change.request_id),
                "reference": change.reference,
                "status": change.status.value,
                "previous_status": change.previous,
                "working_groups": change.groups,
                "occurred_at": change.at.isoformat(),
            },
        )
