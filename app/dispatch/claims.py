"""Claims: a working group's consumers take unacknowledged assignments for a visibility
timeout, from its Redis consumer group (Redis mode) or from the assignments table (embedded).
Claim deadlines live in the database in both modes; Redis keeps ownership and counts."""

import logging
import uuid
from datetime import datetime, timedelta

import redis
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.db import utcnow
from app.dispatch import inbox
from app.dispatch.models import Assignment, AssignmentStatus, WorkingGroupKey
from app.dispatch.schemas import ClaimRead
from app.dispatch.streams import Delivered, StreamQueue
from app.errors import ServiceUnavailable

log = logging.getLogger(__name__)


class QueueUnavailable(ServiceUnavailable):
    code = "queue_unavailable"


def claim(
    session: Session,
    *,
    key: WorkingGroupKey,
    consumer: str,
    count: int,
    visibility_timeout: float,
    max_deliveries: int,
    queue: StreamQueue | None,
) -> ClaimRead:
    """Hand up to `count` unacknowledged assignments to `consumer` for `visibility_timeout`
    seconds; ones delivered more than `max_deliveries` times go to the dead letters."""
    if queue is None:
        return _claim_from_database(
            session,
            key=key,
            consumer=consumer,
            count=count,
            visibility_timeout=visibility_timeout,
            max_deliveries=max_deliveries,
        )
    group = key.working_group_id
    now = utcnow()
    # Claim deadlines live in the database in both modes; Redis keeps ownership and counts.
    expired = list(
        session.scalars(
            select(Assignment)
            .where(
                Assignment.working_group_id == group,
                Assignment.status == AssignmentStatus.DISPATCHED,
                Assignment.dead_lettered_at.is_(None),
                Assignment.claimed_until <= now,
                Assignment.stream_entry_id.is_not(None),
            )
            .order_by(Assignment.claimed_until)
            .limit(count)
            .with_for_update(skip_locked=True)
        )
    )
    try:
        delivered = queue.claim(
            group,
            consumer=consumer,
            count=count,
            expired=[x.stream_entry_id for x in expired if x.stream_entry_id],
        )
    except redis.RedisError as exc:
        raise QueueUnavailable(
            "the queue is unavailable; retry shortly", headers={"Retry-After": "5"}
        ) from exc
    returned = {entry.entry_id for entry in delivered}
    for lapsed in expired:
        if lapsed.stream_entry_id not in returned:
            # No longer pending in Redis (its data was lost): stop asking for it.
            log.warning("assignment %s: entry %s is not pending", lapsed.id, lapsed.stream_entry_id)
            lapsed.claimed_by = None
            lapsed.claimed_until = None
    ids = {entry.entry_id: _assignment_id(entry) for entry in delivered}
    rows = {
        a.id: a
        for a in session.scalars(
            select(Assignment)
            .where(
                Assignment.id.in_({i for i in ids.values() if i}),
                Assignment.working_group_id == group,
            )
            .with_for_update()
        )
    }
    live: list[Assignment] = []
    dead: list[Delivered] = []
    stale: list[str] = []
    for entry in delivered:
        ident = ids[entry.entry_id]
        a = rows.get(ident) if ident else None
        if a is None or a.status != AssignmentStatus.DISPATCHED:
            stale.append(entry.entry_id)  # settled in the database; the ack was lost
            continue
        a.delivery_count = entry.times_delivered
        if entry.times_delivered > max_deliveries or a.dead_lettered_at is not None:
            _dead_letter(session, a, key=key, now=now)
            dead.append(entry)
            continue
        a.claimed_by = consumer
        a.claimed_until = now + timedelta(seconds=visibility_timeout)
        live.append(a)
    result = ClaimRead(items=inbox.reads(session, live, now=now), dead_lettered=len(dead))
    session.commit()
    try:
        queue.dead_letter(group, dead)
        queue.ack(group, stale)
    except redis.RedisError:
        log.warning(
            "dead-lettering or acknowledging stale entries failed; the next claim retries",
            exc_info=True,
        )
    return result


def _assignment_id(entry: Delivered) -> uuid.UUID | None:
    try:
        return uuid.UUID(entry.fields.get("assignment_id", ""))
    except ValueError:
        return None


def _dead_letter(session: Session, a: Assignment, *, key: WorkingGroupKey, now: datetime) -> None:
    a.claimed_by = None
    a.claimed_until = None
    if a.dead_lettered_at is None:
        a.dead_lettered_at = now
        audit.record(
            session,
            action="assignment.dead_lettered",
            request_id=a.request_id,
            details={
                "assignment_id": str(a.id),
                "working_group": a.working_group_id,
                "deliveries": a.delivery_count,
            },
            **inbox.actor(key),
        )


def _claim_from_database(
    session: Session,
    *,
    key: WorkingGroupKey,
    consumer: str,
    count: int,
    visibility_timeout: float,
    max_deliveries: int,
) -> ClaimRead:
    now = utcnow()
    claimed: list[Assignment] = []
    dead = 0
    while len(claimed) < count:
        rows = list(
            session.scalars(
                select(Assignment)
                .where(
                    Assignment.working_group_id == key.working_group_id,
                    Assignment.status == AssignmentStatus.DISPATCHED,
                    Assignment.dead_lettered_at.is_(None),
                    or_(Assignment.claimed_until.is_(None), Assignment.claimed_until <= now),
                )
                .order_by(Assignment.dispatched_at, Assignment.id)
                .limit(count - len(claimed))
                .with_for_update(skip_locked=True)
            )
        )
        if not rows:
            break
        for a in rows:
            a.delivery_count += 1
            if a.delivery_count > max_deliveries:
                _dead_letter(session, a, key=key, now=now)
                dead += 1
                continue
            a.claimed_by = consumer
            a.claimed_until = now + timedelta(seconds=visibility_timeout)
            claimed.append(a)
        session.flush()
    result = ClaimRead(items=inbox.reads(session, claimed, now=now), dead_lettered=dead)
    session.commit()
    return result
