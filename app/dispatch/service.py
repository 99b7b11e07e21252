"""Dispatch use cases: planning assignments and their outbox rows (in the caller's
transaction), and publishing due outbox rows to the working groups' queues."""

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NamedTuple

import redis
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.db import NewRow, by_pairs, insert_all, new_id, new_row, table_of, utcnow
from app.dispatch import progress
from app.dispatch.models import Assignment, AssignmentStatus, OutboxEntry
from app.dispatch.progress import aggregate_status as aggregate_status  # used by app.demo
from app.dispatch.streams import STREAM_PREFIX as STREAM_PREFIX  # other parts name streams here
from app.dispatch.streams import Publication, StreamQueue, entry_fields
from app.dispatch.streams import stream_name as stream_name
from app.intake.models import AssistanceRequest
from app.intake.schemas import TriageRead
from app.routing.service import Route
from app.webhooks import service as webhooks

# A secondary area this likely, routed to another group, co-assigns the request there.
CO_ASSIGN_SCORE = 0.6
DISPATCH_TOPIC = "dispatch"
GROUP_DISPATCHED_EVENT = "assignment.dispatched"


def groups_for(triage: TriageRead, routes: dict[str, Route]) -> list[str]:
    """The primary area's group first, then groups of strong secondary areas."""
    groups: list[str] = []
    for rank, area in enumerate(triage.areas):
        if rank > 0 and area.score < CO_ASSIGN_SCORE:
            break
        route = routes.get(area.id)
        if route is not None and route.working_group_id not in groups:
            groups.append(route.working_group_id)
    return groups


class Dispatched(NamedTuple):
    """What an outbox entry says of its request, for a request not loaded as an object."""

    id: uuid.UUID
    reference: str
    requesting_state: str
    language: str | None


def entry_payload(
    request: AssistanceRequest | Dispatched,
    triage: TriageRead,
    working_group_id: str,
    *,
    primary: bool,
) -> dict[str, Any]:
    return {
        "request_id": str(request.id),
        "reference": request.reference,
        "requesting_state": request.requesting_state,
        "areas": [a.id for a in triage.areas if a.score >= CO_ASSIGN_SCORE][:3]
        or [triage.areas[0].id],
        "paragraphs": [p.number for p in triage.paragraphs[:3]],
        "working_group": working_group_id,
        "primary": primary,
        "language": request.language,
    }


def _targets(
    request: AssistanceRequest | Dispatched,
    triage: TriageRead,
    routes: dict[str, Route],
    groups: list[str] | None,
) -> list[tuple[str, bool, dict[str, Any]]]:
    """(working group, primary, outbox payload) for each group the request goes to."""
    chosen = groups if groups is not None else groups_for(triage, routes)
    return [
        (group, index == 0, entry_payload(request, triage, group, primary=index == 0))
        for index, group in enumerate(chosen)
    ]


def planned(
    request: AssistanceRequest,
    triage: TriageRead,
    routes: dict[str, Route],
    groups: list[str] | None = None,
) -> list[tuple[Assignment, OutboxEntry]]:
    """An assignment and an outbox row for each working group the request goes to, unsaved."""
    return [
        (
            Assignment(
                id=new_id(), request_id=request.id, working_group_id=group, is_primary=primary
            ),
            OutboxEntry(
                request_id=request.id, working_group_id=group, topic=DISPATCH_TOPIC, payload=payload
            ),
        )
        for group, primary, payload in _targets(request, triage, routes, groups)
    ]


def planned_rows(request: Dispatched, triage: TriageRead, routes: dict[str, Route]) -> list[NewRow]:
    """`planned`, as rows for `db.insert_all`."""
    rows = []
    for group, primary, payload in _targets(request, triage, routes, None):
        rows += [
            new_row(
                Assignment,
                id=new_id(),
                request_id=request.id,
                working_group_id=group,
                is_primary=primary,
            ),
            new_row(
                OutboxEntry,
                request_id=request.id,
                working_group_id=group,
                topic=DISPATCH_TOPIC,
                payload=payload,
            ),
        ]
    return rows


def plan(
    session: Session,
    *,
    request: AssistanceRequest,
    triage: TriageRead,
    routes: dict[str, Route],
    groups: list[str] | None = None,
) -> list[Assignment]:
    """Add an assignment and an outbox row for each working group the request goes to."""
    pairs = planned(request, triage, routes, groups)
    for assignment, entry in pairs:
        session.add(assignment)
        session.add(entry)
    return [assignment for assignment, _ in pairs]


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: attempt n waits between half and all of base·2^(n-1)."""

    base: float
    cap: float

    def delay(self, attempt: int) -> float:
        ceiling = min(self.cap, self.base * 2.0 ** max(0, min(attempt - 1, 30)))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class BatchOutcome:
    claimed: int
    published: int
    error: str | None = None


def publish_due(
    session: Session, *, queue: StreamQueue | None, batch_size: int, worker: str, retry: Backoff
) -> BatchOutcome:
    """Claim due outbox rows, publish them, mark them and their assignments dispatched; commits.

    Rows are locked `FOR UPDATE SKIP LOCKED`, so dispatchers on several machines share the
    work. Publishing is idempotent per request and stream, so a batch that is published but
    not committed (a crash, a lost database) is published again without duplicates. When the
    queue is down the rows stay unpublished with their attempt counted and a later
    `available_at`; database errors propagate to the caller.
    """
    now = utcnow()
    # Plain rows, not ORM instances, and set-based writes: a batch is dozens of entries,
    # and instrumenting, tracking and flushing each cost the dispatcher more than the work.
    rows = session.execute(
        select(
            OutboxEntry.id,
            OutboxEntry.request_id,
            OutboxEntry.working_group_id,
            OutboxEntry.payload,
            OutboxEntry.attempts,
        )
        .where(
            OutboxEntry.published_at.is_(None),
            OutboxEntry.available_at <= now,
            OutboxEntry.topic == DISPATCH_TOPIC,
        )
        .order_by(OutboxEntry.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        session.commit()
        return BatchOutcome(0, 0)
    by_key = {
        (a.request_id, a.working_group_id): a
        for a in session.execute(
            # By the whole unique key, each pair looked up in its index.
            by_pairs(
                select(
                    Assignment.id,
                    Assignment.request_id,
                    Assignment.working_group_id,
                    Assignment.status,
                ),
                Assignment.request_id,
                Assignment.working_group_id,
                sorted({(r.request_id, r.working_group_id) for r in rows}),
                dialect=session.get_bind().dialect.name,
            )
            # Locked before publishing: a consumer that claims an entry in the moment between
            # its XADD and this commit waits for the commit, and then finds the assignment
            # dispatched. Unlocked, it found it still pending, took the entry for one settled
            # long ago and acknowledged it undelivered.
            .with_for_update(of=Assignment)
        )
    }
    pairs = [(row, by_key.get((row.request_id, row.working_group_id))) for row in rows]
    live = [(row, a) for row, a in pairs if a is not None]
    try:
        entry_ids: list[str | None] = (
            list(
                queue.publish(
                    [
                        Publication(
                            row.working_group_id,
                            str(row.request_id),
                            entry_fields(row.payload, assignment_id=str(a.id)),
                        )
                        for row, a in live
                    ]
                )
            )
            if queue is not None and live
            else [None] * len(live)
        )
    except redis.RedisError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        outbox = table_of(OutboxEntry)
        session.execute(
            update(outbox)
            .where(outbox.c.id == bindparam("row_id"))
            .values(attempts=bindparam("attempts"), last_error=error, available_at=bindparam("at")),
            [
                {
                    "row_id": row.id,
                    "attempts": row.attempts + 1,
                    "at": now + timedelta(seconds=retry.delay(row.attempts + 1)),
                }
                for row in rows
            ],
        )
        session.commit()
        return BatchOutcome(len(rows), 0, error)
    orphans = {row.id for row, assignment in pairs if assignment is None}
    marks: tuple[tuple[list[int], str | None], ...] = (
        ([row.id for row in rows if row.id not in orphans], None),
        (list(orphans), "no assignment for this working group"),
    )
    for ids, last_error in marks:
        if ids:
            session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id.in_(ids))
                .values(published_at=now, attempts=OutboxEntry.attempts + 1, last_error=last_error)
                .execution_options(synchronize_session=False)
            )
    dispatched = [
        (row, assignment, entry_id)
        for (row, assignment), entry_id in zip(live, entry_ids, strict=True)
        if assignment.status == AssignmentStatus.PENDING
    ]
    if dispatched:
        assignments = table_of(Assignment)
        session.execute(
            update(assignments)
            .where(assignments.c.id == bindparam("assignment_id"))
            .values(
                status=AssignmentStatus.DISPATCHED.value,
                dispatched_at=now,
                stream_entry_id=bindparam("entry_id"),
            ),
            [{"assignment_id": a.id, "entry_id": entry_id} for _, a, entry_id in dispatched],
        )
    changes = progress.sync_request_statuses(
        session, {a.request_id for _, a, _ in dispatched}, now=now
    )
    # After the requests are locked (in id order): an event's foreign key takes a share lock
    # on its request, and taken first, in any order, it let two dispatchers deadlock.
    insert_all(
        session,
        [
            audit.event(
                action="assignment.dispatched",
                actor_type="dispatcher",
                actor_id=worker[:80],
                request_id=assignment.request_id,
                details={
                    "working_group": assignment.working_group_id,
                    "assignment_id": str(assignment.id),
                    "stream_entry_id": entry_id,
                },
            )
            for _, assignment, entry_id in dispatched
        ],
    )
    fanout = webhooks.Fanout(
        session,
        working_group_ids={a.working_group_id for _, a, _ in dispatched},
        portal_client_ids={c.portal_client_id for c in changes},
    )
    for row, assignment, _ in dispatched:
        fanout.emit(
            event=GROUP_DISPATCHED_EVENT,
            request_id=assignment.request_id,
            working_group_id=assignment.working_group_id,
            payload={
                **row.payload,
                "assignment_id": str(assignment.id),
                "dispatched_at": now.isoformat(),
            },
        )
    progress.emit_status_changes(fanout, changes)
    session.commit()
    return BatchOutcome(len(rows), len(live))


@dataclass(frozen=True)
class Reconciliation:
    checked: int
    republished: int


def republish_lost(
    session: Session, *, queue: StreamQueue, worker: str, page_size: int = 500
) -> Reconciliation:
    """Publish again the dispatched, unacknowledged assignments whose stream entry is gone.

    Redis is a copy of what the database says was dispatched; an entry it lost (a crash
    before its write reached the disk, a failover to a replica that had not received it)
    would otherwise never be claimed. Each lost entry gets a new one, with the same fields,
    and the assignment its new id; commits after each page.
    """
    checked = republished = 0
    after: uuid.UUID | None = None
    while True:
        stmt = (
            select(Assignment, OutboxEntry.payload)
            .join(
                OutboxEntry,
                (OutboxEntry.request_id == Assignment.request_id)
                & (OutboxEntry.working_group_id == Assignment.working_group_id)
                & (OutboxEntry.topic == DISPATCH_TOPIC),
            )
            .where(
                Assignment.status == AssignmentStatus.DISPATCHED.value,
                Assignment.stream_entry_id.is_not(None),
                Assignment.dead_lettered_at.is_(None),
            )
            .order_by(Assignment.id)
            .limit(page_size)
        )
        if after is not None:
            stmt = stmt.where(Assignment.id > after)
        rows = [(assignment, payload) for assignment, payload in session.execute(stmt)]
        if not rows:
            break
        after = rows[-1][0].id
        checked += len(rows)
        republished += _republish_page(session, queue, worker, rows)
        session.commit()
        if len(rows) < page_size:
            break
    return Reconciliation(checked=checked, republished=republished)


def _republish_page(
    session: Session,
    queue: StreamQueue,
    worker: str,
    rows: Sequence[tuple[Assignment, dict[str, Any]]],
) -> int:
    by_group: dict[str, list[tuple[Assignment, dict[str, Any]]]] = {}
    for assignment, payload in rows:
        by_group.setdefault(assignment.working_group_id, []).append((assignment, payload))
    republished = 0
    for group, items in by_group.items():
        lost_ids = queue.missing(group, [a.stream_entry_id for a, _ in items if a.stream_entry_id])
        lost = [(a, payload) for a, payload in items if a.stream_entry_id in lost_ids]
        if not lost:
            continue
        queue.forget(group, [str(a.request_id) for a, _ in lost])
        entry_ids = queue.publish(
            [
                Publication(
                    group, str(a.request_id), entry_fields(payload, assignment_id=str(a.id))
                )
                for a, payload in lost
            ]
        )
        for (assignment, _), entry_id in zip(lost, entry_ids, strict=True):
            audit.record(
                session,
                action="assignment.republished",
                actor_type="dispatcher",
                actor_id=worker[:80],
                request_id=assignment.request_id,
                details={
                    "working_group": group,
                    "lost_entry_id": assignment.stream_entry_id,
                    "stream_entry_id": entry_id,
                },
            )
            assignment.stream_entry_id = entry_id
            republished += 1
    return republished
