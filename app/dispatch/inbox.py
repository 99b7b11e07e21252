"""Working-group consumption over one model of assignment state: the inbox, one assignment,
transitions, and dead letters (claims are in `claims`)."""

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

import redis
from sqlalchemy import and_, not_, or_, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.db import utcnow
from app.dispatch import progress, sla
from app.dispatch.models import Assignment, AssignmentStatus, WorkingGroupKey
from app.dispatch.schemas import AssignmentDetail, AssignmentPage, AssignmentRead
from app.dispatch.streams import StreamQueue
from app.errors import Conflict, InvalidInput, NotFound
from app.intake.models import AssistanceRequest, RequestArea, RequestParagraph
from app.pagination import decode_cursor, encode_cursor
from app.webhooks import service as webhooks

log = logging.getLogger(__name__)

S = AssignmentStatus
TRANSITIONS: dict[AssignmentStatus, frozenset[AssignmentStatus]] = {
    S.ACKNOWLEDGED: frozenset({S.DISPATCHED}),
    S.IN_PROGRESS: frozenset({S.DISPATCHED, S.ACKNOWLEDGED}),
    S.COMPLETED: frozenset({S.ACKNOWLEDGED, S.IN_PROGRESS}),
    S.DECLINED: frozenset({S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS}),
}


class AssignmentNotFound(NotFound):
    code = "not_found"


class InvalidTransition(Conflict):
    code = "invalid_transition"


def actor(key: WorkingGroupKey) -> dict[str, str]:
    """The audit fields naming a working group's key."""
    return {"actor_type": "working_group", "actor_id": str(key.id), "actor_label": key.name}


def reads(
    session: Session, assignments: Sequence[Assignment], *, now: datetime | None = None
) -> list[AssignmentRead]:
    """Assignments with their request's reference and current labels, and their SLA clocks."""
    if not assignments:
        return []
    moment = now or utcnow()
    ids = {a.request_id for a in assignments}
    requests = {
        r.id: r
        for r in session.execute(
            select(
                AssistanceRequest.id,
                AssistanceRequest.reference,
                AssistanceRequest.requesting_state,
                AssistanceRequest.language,
            ).where(AssistanceRequest.id.in_(ids))
        )
    }
    areas: dict[uuid.UUID, list[str]] = defaultdict(list)
    for request_id, area in session.execute(
        select(RequestArea.request_id, RequestArea.area_id)
        .where(RequestArea.request_id.in_(ids))
        .order_by(RequestArea.rank)
    ):
        areas[request_id].append(area)
    paragraphs: dict[uuid.UUID, list[int]] = defaultdict(list)
    for request_id, number in session.execute(
        select(RequestParagraph.request_id, RequestParagraph.number)
        .where(RequestParagraph.request_id.in_(ids))
        .order_by(RequestParagraph.rank)
    ):
        paragraphs[request_id].append(number)
    group_limits = sla.limits(session)
    out = []
    for a in assignments:
        request = requests[a.request_id]
        clock = sla.clock(a, group_limits.get(a.working_group_id, sla.DEFAULT_LIMITS), now=moment)
        out.append(
            AssignmentRead(
                id=str(a.id),
                request_id=str(a.request_id),
                reference=request.reference,
                requesting_state=request.requesting_state,
                language=request.language,
                areas=areas[a.request_id],
                paragraphs=paragraphs[a.request_id],
                working_group=a.working_group_id,
                primary=a.is_primary,
                status=a.status,
                created_at=a.created_at,
                dispatched_at=a.dispatched_at,
                acknowledged_at=a.acknowledged_at,
                started_at=a.started_at,
                closed_at=a.closed_at,
                decline_reason=a.decline_reason,
                claimed_by=a.claimed_by,
                claimed_until=a.claimed_until,
                delivery_count=a.delivery_count,
                dead_lettered=a.dead_lettered_at is not None,
                overdue=clock.overdue,
                sla=clock,
            )
        )
    return out


def list_inbox(
    session: Session,
    *,
    key: WorkingGroupKey,
    status: AssignmentStatus | None,
    overdue: bool | None,
    dead_lettered: bool | None,
    cursor: str | None,
    limit: int,
) -> AssignmentPage:
    """The group's delivered assignments, newest delivery first, keyset-paginated."""
    now = utcnow()
    group = key.working_group_id
    stmt = select(Assignment).where(
        Assignment.working_group_id == group, Assignment.status != S.PENDING
    )
    if status is not None:
        stmt = stmt.where(Assignment.status == status.value)
    if overdue is not None:
        limit_of = sla.limits(session).get(group, sla.DEFAULT_LIMITS)
        late = sla.overdue_condition({group: limit_of}, now=now, include_pending=False)
        stmt = stmt.where(late if overdue else not_(late))
    if dead_lettered is not None:
        stmt = stmt.where(
            Assignment.dead_lettered_at.is_not(None)
            if dead_lettered
            else Assignment.dead_lettered_at.is_(None)
        )
    if cursor:
        moment, ident = decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                Assignment.dispatched_at < moment,
                and_(Assignment.dispatched_at == moment, Assignment.id < ident),
            )
        )
    stmt = stmt.order_by(Assignment.dispatched_at.desc(), Assignment.id.desc())
    rows = list(session.scalars(stmt.limit(limit + 1)))
    page, more = rows[:limit], len(rows) > limit
    result = AssignmentPage(
        items=reads(session, page, now=now),
        next_cursor=encode_cursor(page[-1].dispatched_at, page[-1].id) if more and page else None,
    )
    session.commit()
    return result


def _owned(session: Session, assignment_id: str, group: str, *, lock: bool) -> Assignment:
    try:
        parsed = uuid.UUID(assignment_id)
    except ValueError:
        parsed = None
    stmt = select(Assignment).where(
        Assignment.id == parsed,
        Assignment.working_group_id == group,
        Assignment.status != S.PENDING,
    )
    row = session.scalar(stmt.with_for_update() if lock else stmt) if parsed else None
    if row is None:
        raise AssignmentNotFound("no such assignment")
    return row


def get_assignment(
    session: Session, assignment_id: str, *, key: WorkingGroupKey
) -> AssignmentDetail:
    """One of the group's assignments with the request's text; the read is audited."""
    a = _owned(session, assignment_id, key.working_group_id, lock=False)
    request = session.get(AssistanceRequest, a.request_id)
    assert request is not None
    read = reads(session, [a])[0]
    audit.record(
        session,
        action="assignment.read",
        request_id=a.request_id,
        details={"assignment_id": str(a.id)},
        **actor(key),
    )
    session.commit()
    return AssignmentDetail(**read.model_dump(), title=request.title, body=request.body)


def transition(
    session: Session,
    assignment_id: str,
    *,
    key: WorkingGroupKey,
    to: AssignmentStatus,
    reason: str | None = None,
    queue: StreamQueue | None,
) -> AssignmentRead:
    """Move one of the group's assignments on; repeating a move answers the same state, an
    illegal one raises InvalidTransition (409). Audited, with the portal's status callback
    queued in the same transaction; the stream entry is acknowledged after the commit."""
    a = _owned(session, assignment_id, key.working_group_id, lock=True)
    if a.status == to:
        read = reads(session, [a])[0]
        session.commit()
        return read
    if AssignmentStatus(a.status) not in TRANSITIONS[to]:
        raise InvalidTransition(f"an assignment that is {a.status} cannot become {to.value}")
    if to == S.DECLINED and not (reason and reason.strip()):
        raise InvalidInput("a reason is required to decline", field="reason")
    now = utcnow()
    previous = a.status
    a.status = to.value
    a.claimed_by = None
    a.claimed_until = None
    if to in (S.ACKNOWLEDGED, S.IN_PROGRESS) and a.acknowledged_at is None:
        a.acknowledged_at = now
    if to == S.IN_PROGRESS:
        a.started_at = now
    if to in (S.COMPLETED, S.DECLINED):
        a.closed_at = now
    if to == S.DECLINED:
        a.decline_reason = reason
    audit.record(
        session,
        action=f"assignment.{to.value}",
        request_id=a.request_id,
        details={
            "assignment_id": str(a.id),
            "working_group": a.working_group_id,
            "from": previous,
            **({"reason": reason} if reason else {}),
        },
        **actor(key),
    )
    changes = progress.sync_request_statuses(session, [a.request_id], now=now)
    fanout = webhooks.Fanout(session, portal_client_ids={c.portal_client_id for c in changes})
    progress.emit_status_changes(fanout, changes)
    read = reads(session, [a], now=now)[0]
    session.commit()
    if queue is not None and a.stream_entry_id:
        try:
            queue.ack(a.working_group_id, [a.stream_entry_id])
        except redis.RedisError:
            # The entry stays pending; the next claim finds it settled and acknowledges it.
            log.warning("XACK of %s failed", a.stream_entry_id, exc_info=True)
    return read


def dead_letters(
    session: Session, *, working_group_ids: Iterable[str] | None = None
) -> list[AssignmentRead]:
    """Assignments delivered too often without acknowledgement, oldest first; for the group's
    API and for desk officers. Reads only: the caller owns the transaction."""
    stmt = select(Assignment).where(
        Assignment.dead_lettered_at.is_not(None), Assignment.status == S.DISPATCHED
    )
    if working_group_ids is not None:
        stmt = stmt.where(Assignment.working_group_id.in_(set(working_group_ids)))
    return reads(session, list(session.scalars(stmt.order_by(Assignment.dead_lettered_at))))


def dead_letters_for(session: Session, *, key: WorkingGroupKey) -> list[AssignmentRead]:
    result = dead_letters(session, working_group_ids=[key.working_group_id])
    session.commit()
    return result
