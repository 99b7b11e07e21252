"""SLA clocks per assignment: time to dispatch (from assignment to delivery) and time to
acknowledgement (from delivery to acknowledgement), against each working group's limits."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.dispatch.models import Assignment, AssignmentStatus
from app.dispatch.schemas import SlaRead
from app.intake.models import AssistanceRequest
from app.routing import service as routing_service


@dataclass(frozen=True)
class Limits:
    dispatch_hours: int
    ack_hours: int


DEFAULT_LIMITS = Limits(dispatch_hours=24, ack_hours=72)


def limits(session: Session) -> dict[str, Limits]:
    return {
        g.id: Limits(g.sla_dispatch_hours, g.sla_ack_hours)
        for g in routing_service.working_groups(session)
    }


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start and end else None


def clock(assignment: Assignment, limit: Limits, *, now: datetime) -> SlaRead:
    dispatch_due = assignment.created_at + timedelta(hours=limit.dispatch_hours)
    ack_due = (
        assignment.dispatched_at + timedelta(hours=limit.ack_hours)
        if assignment.dispatched_at
        else None
    )
    status = assignment.status
    waiting_dispatch = status == AssignmentStatus.PENDING and now > dispatch_due
    waiting_ack = status == AssignmentStatus.DISPATCHED and ack_due is not None and now > ack_due
    return SlaRead(
        dispatch_due_at=dispatch_due,
        ack_due_at=ack_due,
        time_to_dispatch_seconds=_seconds(assignment.created_at, assignment.dispatched_at),
        time_to_ack_seconds=_seconds(assignment.dispatched_at, assignment.acknowledged_at),
        dispatch_breached=(assignment.dispatched_at or now) > dispatch_due,
        ack_breached=ack_due is not None and (assignment.acknowledged_at or now) > ack_due,
        overdue=waiting_dispatch or waiting_ack,
    )


def overdue_condition(
    group_limits: dict[str, Limits], *, now: datetime, include_pending: bool = True
) -> ColumnElement[bool]:
    """SQL for "still waiting for a step whose limit has passed", per group's own limits."""
    parts: list[ColumnElement[bool]] = []
    for group, limit in group_limits.items():
        if include_pending:
            parts.append(
                and_(
                    Assignment.working_group_id == group,
                    Assignment.status == AssignmentStatus.PENDING,
                    Assignment.created_at < now - timedelta(hours=limit.dispatch_hours),
                )
            )
        parts.append(
            and_(
                Assignment.working_group_id == group,
                Assignment.status == AssignmentStatus.DISPATCHED,
                Assignment.dispatched_at < now - timedelta(hours=limit.ack_hours),
            )
        )
    return or_(*parts) if parts else false()


@dataclass(frozen=True)
class OverdueAssignment:
    assignment_id: uuid.UUID
    request_id: uuid.UUID
    reference: str
    working_group_id: str
    status: str
    waiting_for: str  # "dispatch" or "acknowledgement"
    due_at: datetime
    overdue_seconds: float


def overdue_assignments(
    session: Session, *, now: datetime | None = None, working_group_ids: Iterable[str] | None = None
) -> list[OverdueAssignment]:
    """Assignments past their group's dispatch or acknowledgement limit, most overdue first.

    Reads only; the caller owns the transaction (the desk and dashboards call this).
    """
    moment = now or utcnow()
    group_limits = limits(session)
    if working_group_ids is not None:
        wanted = set(working_group_ids)
        group_limits = {g: v for g, v in group_limits.items() if g in wanted}
    rows = session.execute(
        select(Assignment, AssistanceRequest.reference)
        .join(AssistanceRequest, AssistanceRequest.id == Assignment.request_id)
        .where(overdue_condition(group_limits, now=moment))
    ).all()
    out = []
    for assignment, reference in rows:
        limit = group_limits.get(assignment.working_group_id, DEFAULT_LIMITS)
        sla = clock(assignment, limit, now=moment)
        pending = assignment.status == AssignmentStatus.PENDING
        due = sla.dispatch_due_at if pending else sla.ack_due_at
        assert due is not None
        out.append(
            OverdueAssignment(
                assignment_id=assignment.id,
                request_id=assignment.request_id,
                reference=reference,
                working_group_id=assignment.working_group_id,
                status=assignment.status,
                waiting_for="dispatch" if pending else "acknowledgement",
                due_at=due,
                overdue_seconds=(moment - due).total_seconds(),
            )
        )
    return sorted(out, key=lambda o: -o.overdue_seconds)
