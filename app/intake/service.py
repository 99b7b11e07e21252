"""Intake use cases: submit, read and list a State's own assistance requests."""

import hashlib
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    FromClause,
    Integer,
    Select,
    Uuid,
    and_,
    any_,
    bindparam,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from app import metrics
from app.audit import service as audit
from app.auth.models import PortalClient
from app.catalogue.loader import Catalogue
from app.db import NewRow, by_pairs, insert_all, new_id, new_row, table_of, utcnow
from app.dispatch import service as dispatch_service
from app.errors import AppError, Conflict, NotFound, Unauthenticated
from app.intake.attachments import ExtractedAttachment
from app.intake.models import (
    AssistanceRequest,
    Attachment,
    ReferenceCounter,
    RequestArea,
    RequestParagraph,
    RequestStatus,
)
from app.intake.schemas import (
    AssistanceRequestCreate,
    AssistanceRequestPage,
    AssistanceRequestRead,
    AttachmentRead,
    TriageRead,
)
from app.pagination import decode_cursor, encode_cursor
from app.routing import service as routing_service
from app.routing.service import Route
from app.triage import service as triage_service
from app.triage.models import TriageResult
from ml.classifier import Classifier, Triage

MAX_CLASSIFIED_CHARS = 60_000
STATUS_FOR_DECISION = {
    "auto_routed": RequestStatus.TRIAGED,
    "needs_review": RequestStatus.NEEDS_REVIEW,
    "out_of_scope": RequestStatus.OUT_OF_SCOPE,
}


class RequestNotFound(NotFound):
    code = "not_found"


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"


class StateMismatch(AppError):
    status_code = 422
    code = "validation_error"

    def __init__(self, message: str):
        super().__init__(
            message,
            detail=[{"loc": ["body", "requesting_state"], "msg": message, "type": "value_error"}],
        )


@dataclass(frozen=True)
class Submission:
    read: AssistanceRequestRead
    replayed: bool


def _fingerprint(body: AssistanceRequestCreate, attachments: list[ExtractedAttachment]) -> str:
    canonical = json.dumps(
        {"request": body.model_dump(mode="json"), "attachments": [a.sha256 for a in attachments]},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def classification_text(
    body: AssistanceRequestCreate, attachments: list[ExtractedAttachment]
) -> str:
    parts = [body.title or "", body.body] + [a.text for a in attachments]
    return "\n\n".join(p for p in parts if p)[:MAX_CLASSIFIED_CHARS]


def check_state(
    body: AssistanceRequestCreate, *, portal: PortalClient, catalogue: Catalogue
) -> None:
    if catalogue.state(body.requesting_state) is None:
        raise StateMismatch(f"{body.requesting_state} is not a known ISO 3166-1 alpha-3 code")
    if body.requesting_state != portal.state_iso3:
        raise StateMismatch(
            f"this API key submits for {portal.state_iso3}, not {body.requesting_state}"
        )


@dataclass(frozen=True)
class Intake:
    """One submission, parsed and authenticated, waiting to be classified and stored."""

    body: AssistanceRequestCreate
    portal: PortalClient
    attachments: list[ExtractedAttachment] = field(default_factory=list)
    idempotency_key: str | None = None


def _bump_counter(
    count: ColumnElement[int], *, source: FromClause | None = None
) -> ReturningInsert[Any]:
    """PostgreSQL: add `count` to the year's reference counter (bound as `year`), creating it
    at `count`, and return its last value; rows of `source` (each its own count) when given.
    The bump also makes its transaction commit without waiting for the disk."""
    counters = table_of(ReferenceCounter)
    async_commit = select(
        func.set_config("synchronous_commit", "off", true()).label("setting")
    ).subquery("async_commit")
    rows = select(bindparam("year", type_=Integer()), count)
    rows = (
        rows.select_from(source).join(async_commit, true()).where(count > 0)
        if source is not None
        else rows.select_from(async_commit)
    )
    insert = pg_insert(counters).from_select(["year", "last_value"], rows)
    return insert.on_conflict_do_update(
        index_elements=[counters.c.year],
        set_={"last_value": counters.c.last_value + insert.excluded.last_value},
    ).returning(counters.c.last_value)


_BUMP_COUNTER = _bump_counter(bindparam("count", type_=Integer()))


def _reserve_references(session: Session, *, year: int, count: int) -> int:
    """Reserve `count` consecutive numbers of the year; returns the first. The caller commits
    straight away.

    The counter row is bumped in a short transaction of its own, before classification:
    holding its lock until the requests' commit would queue every concurrent submission
    behind the others' disk flushes. On PostgreSQL that transaction commits asynchronously,
    which is safe: the log is flushed in order, so the counter is durable no later than the
    first request carrying a number. A submission that fails afterwards leaves a gap in the
    numbers, never a duplicate.
    """
    if session.get_bind().dialect.name == "postgresql":
        last = session.execute(_BUMP_COUNTER, {"year": year, "count": count}).scalar_one()
        return int(last) - count + 1
    session.execute(
        sqlite_insert(ReferenceCounter)
        .values(year=year, last_value=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    last = session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.year == year)
        .values(last_value=ReferenceCounter.last_value + count)
        .returning(ReferenceCounter.last_value)
    ).scalar_one()
    return int(last) - count + 1


def _existing(
    session: Session, keys: set[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], AssistanceRequest]:
    """The stored requests carrying these (portal, Idempotency-Key) pairs."""
    if not keys:
        return {}
    # Pairs, not two lists: each pair is an equality on the whole unique key. With `portal IN
    # (..) AND key IN (..)` a generic plan made while the table was small scanned all of a
    # portal's requests, and submissions slowed down as the table grew.
    rows = session.scalars(
        by_pairs(
            select(AssistanceRequest),
            AssistanceRequest.portal_client_id,
            AssistanceRequest.idempotency_key,
            sorted(keys),
            dialect=session.get_bind().dialect.name,
        )
    )
    return {
        (row.portal_client_id, row.idempotency_key): row
        for row in rows
        if row.portal_client_id is not None and row.idempotency_key is not None
    }


def _replay(
    session: Session, existing: AssistanceRequest, fingerprint: str, catalogue: Catalogue
) -> Submission:
    if existing.idempotency_fingerprint != fingerprint:
        raise IdempotencyConflict("this Idempotency-Key was used with a different request body")
    read = read_one(session, existing, catalogue=catalogue)
    session.commit()
    return Submission(read=read, replayed=True)


def submit_many(
    session: Session,
    intakes: Sequence[Intake],
    *,
    classifier: Classifier,
    catalogue: Catalogue,
    reference_prefix: str,
) -> list[Submission | AppError]:
    """Classify and store requests with their triage, labels, assignments and outbox rows.

    One outcome per intake, in order: its submission, or the error a client can act on
    (a revoked key, an Idempotency-Key reused with another body, a State mismatch). The
    batch does the same few things whatever its size: it reads the keys, Idempotency-Keys
    and routes and reserves its references (one statement on PostgreSQL); the model works
    after that, so no lock is held while it does; then every row is written at once (one
    statement on PostgreSQL). If that write fails on a constraint (a concurrent submission
    won the race for an Idempotency-Key), each intake is tried again on its own, and the
    loser replays the winner's answer. Any other failure (the database gone) fails the whole
    batch.
    """
    outcomes: list[Submission | AppError | None] = [None] * len(intakes)
    fingerprints = [_fingerprint(i.body, i.attachments) for i in intakes]
    received = utcnow()
    # What needs no database first: each key's State, and the repeats of an Idempotency-Key
    # within the batch. The rest are candidates, each new unless its key was revoked or its
    # Idempotency-Key is stored: the read counts those and reserves a number for each.
    refused: dict[int, AppError] = {}
    candidates: list[int] = []
    later: list[int] = []  # repeats of an Idempotency-Key earlier in the same batch
    claimed: set[tuple[uuid.UUID, str]] = set()
    for index, intake in enumerate(intakes):
        try:
            check_state(intake.body, portal=intake.portal, catalogue=catalogue)
        except AppError as exc:
            refused[index] = exc
            continue
        pair = _pair(intake)
        if pair is not None and pair in claimed:
            later.append(index)
            continue
        if pair is not None:
            claimed.add(pair)
        candidates.append(index)
    context = _read_context(session, intakes, [intakes[i] for i in candidates], year=received.year)
    revoked = context.revoked
    for index, error in refused.items():
        outcomes[index] = RevokedKey() if intakes[index].portal.id in revoked else error
    fresh = []
    for index in candidates:
        intake = intakes[index]
        if intake.portal.id in revoked:
            outcomes[index] = RevokedKey()
            continue
        pair = _pair(intake)
        found = context.existing.get(pair) if pair is not None else None
        if found is None:
            fresh.append(index)
            continue
        try:
            outcomes[index] = _replay(session, found, fingerprints[index], catalogue)
        except AppError as exc:
            outcomes[index] = exc
    if fresh:
        stored = _classify_and_store(
            session,
            [intakes[i] for i in fresh],
            [fingerprints[i] for i in fresh],
            received=received,
            # Reserved by the read unless its count and ours differ, which they should not:
            # then the numbers it took are left unused and the batch reserves its own.
            first_reference=context.first_reference if context.reserved == len(fresh) else None,
            routes=context.routes,
            classifier=classifier,
            catalogue=catalogue,
            reference_prefix=reference_prefix,
        )
        for index, outcome in zip(fresh, stored, strict=True):
            outcomes[index] = outcome
    session.commit()  # ends the read transaction when every intake was refused or replayed
    for index in later:
        outcomes[index] = _one_of_many(
            session, intakes[index], classifier, catalogue, reference_prefix
        )
    done = [outcome for outcome in outcomes if outcome is not None]
    assert len(done) == len(intakes), "an intake was left without an outcome"
    return done


@dataclass(frozen=True)
class _Context:
    """What a batch reads before the model works."""

    revoked: set[uuid.UUID]  # keys revoked since the api cached them as valid
    existing: dict[tuple[uuid.UUID, str], AssistanceRequest]  # by (portal, Idempotency-Key)
    routes: dict[str, Route]
    # PostgreSQL: the numbers reserved for the new requests among the candidates, from
    # `first_reference` on (none reserved when there are none).
    reserved: int = 0
    first_reference: int | None = None


def _read_context(
    session: Session, intakes: Sequence[Intake], candidates: Sequence[Intake], *, year: int
) -> _Context:
    """The revoked keys, stored Idempotency-Keys and routes a batch needs: the keys of all
    its `intakes`, the Idempotency-Keys of its `candidates` (those with a valid State, each
    Idempotency-Key once).

    On PostgreSQL that is one round trip, whatever the batch, of a statement built once,
    which also reserves the year's reference numbers for the new requests among the
    candidates (the stored requests themselves are loaded only when there are some, which
    is a retry). Each round trip under load costs a batch far more than the statement does.
    """
    portals = {i.portal.id for i in intakes}
    pairs = sorted({pair for i in candidates if (pair := _pair(i)) is not None})
    if session.get_bind().dialect.name != "postgresql":
        return _Context(
            revoked=_revoked(session, portals),
            existing=_existing(session, set(pairs)),
            routes=routing_service.current_routes(session),
        )
    revoked_ids, stored_ids, rules, last, reserved = session.execute(
        _context_statement(),
        {
            "portals": list(portals),
            "pair_portals": [portal for portal, _ in pairs],
            "pair_keys": [key for _, key in pairs],
            "candidates": [c.portal.id for c in candidates],
            "year": year,
            "now": utcnow(),
        },
    ).one()
    stored = (
        session.scalars(select(AssistanceRequest).where(AssistanceRequest.id.in_(stored_ids)))
        if stored_ids
        else ()
    )
    return _Context(
        revoked=set(revoked_ids or ()),
        existing={
            (r.portal_client_id, r.idempotency_key): r
            for r in stored
            if r.portal_client_id is not None and r.idempotency_key is not None
        },
        routes=routing_service.routes_from(rules or ()),
        reserved=int(reserved) if last is not None else 0,
        first_reference=int(last) - int(reserved) + 1 if last is not None else None,
    )


@cache
def _context_statement() -> Select[tuple[Any, ...]]:
    """PostgreSQL: `_read_context` in one statement. Scalar subqueries read the revoked keys,
    the stored Idempotency-Keys (looked up as `by_pairs` does, from two unnested arrays) and
    the routes; a data-modifying CTE bumps the year's reference counter by the candidates
    that are neither revoked nor stored, in the statement's own transaction, which commits
    asynchronously (see `_reserve_references`). Of table columns, not mapped attributes, so
    that it runs as Core: no ORM compilation per call."""
    portal, request = table_of(PortalClient).c, table_of(AssistanceRequest).c
    revoked = (
        select(portal.id)
        .where(
            portal.id == any_(bindparam("portals", type_=ARRAY(Uuid()))),
            portal.revoked_at.is_not(None),
        )
        .cte("revoked")
    )
    wanted = (
        func.unnest(
            bindparam("pair_portals", type_=ARRAY(Uuid())),
            bindparam("pair_keys", type_=ARRAY(request.idempotency_key.type)),
        )
        .table_valued("portal", "key")
        .render_derived(name="wanted")
    )
    stored = (
        select(request.id, request.portal_client_id)
        .join(
            wanted,
            and_(
                request.portal_client_id == wanted.c.portal, request.idempotency_key == wanted.c.key
            ),
        )
        .cte("stored")
    )
    candidate = (
        func.unnest(bindparam("candidates", type_=ARRAY(Uuid())))
        .table_valued("portal")
        .render_derived(name="candidate")
    )
    revoked_ids = select(revoked.c.id)
    new_requests = (
        select(func.count()).select_from(candidate).where(candidate.c.portal.not_in(revoked_ids))
    ).scalar_subquery() - (
        select(func.count())
        .select_from(stored)
        .where(stored.c.portal_client_id.not_in(revoked_ids))
    ).scalar_subquery()
    fresh = select(new_requests.label("n")).cte("fresh")
    bump = _bump_counter(fresh.c.n, source=fresh).cte("bump")
    routes = routing_service.current_routes_column(bindparam("now", type_=DateTime(timezone=True)))
    return select(
        select(func.array_agg(revoked.c.id)).scalar_subquery(),
        select(func.array_agg(stored.c.id)).scalar_subquery(),
        routes,
        select(bump.c.last_value).scalar_subquery(),
        select(fresh.c.n).scalar_subquery(),
    )


class RevokedKey(Unauthenticated):
    def __init__(self) -> None:
        super().__init__("this API key has been revoked", headers={"WWW-Authenticate": "Bearer"})


def _revoked(session: Session, portals: set[uuid.UUID]) -> set[uuid.UUID]:
    """Keys revoked since the caller authenticated them (callers may trust a cached check)."""
    return set(
        session.scalars(
            select(PortalClient.id).where(
                PortalClient.id.in_(portals), PortalClient.revoked_at.is_not(None)
            )
        )
    )


def _pair(intake: Intake) -> tuple[uuid.UUID, str] | None:
    return (intake.portal.id, intake.idempotency_key) if intake.idempotency_key else None


def _classify_and_store(
    session: Session,
    intakes: list[Intake],
    fingerprints: list[str],
    *,
    received: datetime,
    first_reference: int | None,
    routes: dict[str, Route],
    classifier: Classifier,
    catalogue: Catalogue,
    reference_prefix: str,
) -> list[Submission | AppError]:
    first = first_reference
    if first is None:
        first = _reserve_references(session, year=received.year, count=len(intakes))
        session.commit()

    started = time.perf_counter()
    triages = classifier.predict_many(
        [classification_text(i.body, i.attachments) for i in intakes],
        language_hints=[i.body.language for i in intakes],
    )
    # What each request's share of the batch cost: the latency histogram stays comparable
    # with one request at a time.
    classified_in = (time.perf_counter() - started) / len(intakes)
    names = {g.id: g.name for g in catalogue.working_groups}
    rows: list[NewRow] = []
    answers = []
    for offset, (intake, triage, fingerprint) in enumerate(
        zip(intakes, triages, fingerprints, strict=True)
    ):
        read, review_reason = _decide(triage, routes, intake.attachments)
        answer, own_rows = _rows(
            intake,
            read=read,
            review_reason=review_reason,
            routes=routes,
            scope_score=triage.scope_score,
            fingerprint=fingerprint,
            reference=f"{reference_prefix}-{received.year}-{first + offset:06d}",
            received=received,
            working_group_names=names,
        )
        rows += own_rows
        answers.append((answer, read))
    try:
        insert_all(session, rows)
        session.commit()
    except IntegrityError:
        session.rollback()
        if len(intakes) > 1:
            # Which intake collided is not reported; each tries again on its own.
            return [
                _one_of_many(session, intake, classifier, catalogue, reference_prefix)
                for intake in intakes
            ]
        pair = _pair(intakes[0])
        existing = _existing(session, {pair}).get(pair) if pair is not None else None
        if existing is None:
            raise
        try:
            return [_replay(session, existing, fingerprints[0], catalogue)]
        except AppError as exc:
            return [exc]
    for _, read in answers:
        metrics.record_decision(read.decision, _primary_area(read), read.language, classified_in)
    return [Submission(read=answer, replayed=False) for answer, _ in answers]


def _one_of_many(
    session: Session,
    intake: Intake,
    classifier: Classifier,
    catalogue: Catalogue,
    reference_prefix: str,
) -> Submission | AppError:
    """One intake on its own: after its batch, a repeat or a retry after a lost race."""
    [outcome] = submit_many(
        session,
        [intake],
        classifier=classifier,
        catalogue=catalogue,
        reference_prefix=reference_prefix,
    )
    return outcome


def _decide(
    triage: Triage, routes: dict[str, Route], attachments: list[ExtractedAttachment]
) -> tuple[TriageRead, str | None]:
    """The API triage, with a scan without a text layer holding the request for review."""
    route = triage_service.route_for(triage, routes)
    scans = [a.filename for a in attachments if not a.has_text_layer]
    if not scans:
        read = triage_service.to_read(triage, route=route)
        reason = _review_reason(read) if read.decision == "needs_review" else None
        return read, reason
    reason = "attachment without a text layer: " + ", ".join(scans)
    read = triage_service.to_read(triage, route=route, notes=[reason])
    if read.decision == "auto_routed":
        read = read.model_copy(update={"decision": "needs_review"})
    return read, reason


def _rows(
    intake: Intake,
    *,
    read: TriageRead,
    review_reason: str | None,
    routes: dict[str, Route],
    scope_score: float | None,
    fingerprint: str,
    reference: str,
    received: datetime,
    working_group_names: dict[str, str],
) -> tuple[AssistanceRequestRead, list[NewRow]]:
    """The answer for a new request, and every row that stores it."""
    body, portal = intake.body, intake.portal
    decision = read.decision
    request_id = new_id()
    result = triage_service.result_row(
        request_id=request_id, read=read, scope_score=scope_score, created_at=received
    )
    status = STATUS_FOR_DECISION[decision].value
    request = new_row(
        AssistanceRequest,
        id=request_id,
        reference=reference,
        requesting_state=body.requesting_state,
        portal_client_id=portal.id,
        title=body.title,
        body=body.body,
        contact=body.contact,
        language=read.language,
        language_hint=body.language,
        status=status,
        review_reason=review_reason,
        received_at=received,
        updated_at=received,
        triaged_at=received,
        decision=decision,
        confidence=read.confidence,
        primary_area=_primary_area(read),
        working_group_id=read.working_group.id if read.working_group else None,
        current_triage_id=result.values["id"],
        idempotency_key=intake.idempotency_key,
        idempotency_fingerprint=fingerprint,
    )
    files = [
        new_row(
            Attachment,
            id=new_id(),
            request_id=request_id,
            filename=item.filename,
            media_type=item.media_type,
            size_bytes=item.size_bytes,
            sha256=item.sha256,
            has_text_layer=item.has_text_layer,
            extracted_text=item.text,
            content=item.content,
            created_at=received,
        )
        for item in intake.attachments
    ]
    rows = [request, result, *files]
    if decision != "out_of_scope":
        rows += _labels(request_id, read)
    if decision == "auto_routed":
        rows += dispatch_service.planned_rows(
            dispatch_service.Dispatched(
                request_id, reference, body.requesting_state, read.language
            ),
            read,
            routes,
        )
    rows += [
        audit.event(
            action="request.received",
            actor_type="portal",
            actor_id=str(portal.id),
            actor_label=portal.name,
            request_id=request_id,
            details={"reference": reference, "attachments": len(files)},
        ),
        audit.event(
            action="request.triaged",
            actor_type="model",
            actor_id=read.model_version,
            request_id=request_id,
            details={
                "decision": decision,
                "confidence": read.confidence,
                "areas": [a.id for a in read.areas[:3]],
            },
        ),
    ]
    answer = _to_read(
        SimpleNamespace(**request.values),
        # As a later read renders it: working groups under their catalogue names.
        triage=triage_service.named(read, working_group_names),
        attachments=[_attachment_read(SimpleNamespace(**row.values)) for row in files],
    )
    return answer, rows


def _primary_area(read: TriageRead) -> str | None:
    return read.areas[0].id if read.areas and read.decision != "out_of_scope" else None


def preview(
    session: Session,
    body: AssistanceRequestCreate,
    *,
    portal: PortalClient,
    classifier: Classifier,
    catalogue: Catalogue,
) -> TriageRead:
    check_state(body, portal=portal, catalogue=catalogue)
    triage = classifier.predict(classification_text(body, []), language_hint=body.language)
    routes = routing_service.current_routes(session)
    session.commit()
    return triage_service.to_read(triage, route=triage_service.route_for(triage, routes))


def _review_reason(read: TriageRead) -> str:
    return f"model confidence {read.confidence:.2f} below the auto-routing threshold"


def _labels(request_id: uuid.UUID, read: TriageRead) -> list[NewRow]:
    # The model ranks every area; only the plausible head becomes the request's labels.
    head = [a for a in read.areas if a.score >= 0.5] or read.areas[:1]
    areas = [
        new_row(RequestArea, request_id=request_id, area_id=area.id, rank=rank)
        for rank, area in enumerate(head[:3])
    ]
    return areas + [
        new_row(RequestParagraph, request_id=request_id, number=paragraph.number, rank=rank)
        for rank, paragraph in enumerate(read.paragraphs[:3])
    ]


def _attachment_read(a: Attachment | SimpleNamespace) -> AttachmentRead:
    """An attachment as the API shows it, from its row (stored, or about to be)."""
    return AttachmentRead(
        id=str(a.id),
        filename=a.filename,
        media_type=a.media_type,
        size_bytes=a.size_bytes,
        has_text_layer=a.has_text_layer,
    )


def _to_read(
    request: AssistanceRequest | SimpleNamespace,
    *,
    triage: TriageRead | None,
    attachments: list[AttachmentRead],
) -> AssistanceRequestRead:
    """A request as the API shows it, from its row (stored, or about to be)."""
    return AssistanceRequestRead(
        id=str(request.id),
        reference=request.reference,
        status=request.status,
        requesting_state=request.requesting_state,
        title=request.title,
        body=request.body,
        contact=request.contact,
        language=request.language,
        language_hint=request.language_hint,
        received_at=request.received_at,
        review_reason=request.review_reason,
        attachments=attachments,
        triage=triage,
    )


def read_one(
    session: Session, request: AssistanceRequest, *, catalogue: Catalogue
) -> AssistanceRequestRead:
    return _read_many(session, [request], catalogue=catalogue)[0]


def _read_many(
    session: Session, requests: list[AssistanceRequest], *, catalogue: Catalogue
) -> list[AssistanceRequestRead]:
    triage_ids = [r.current_triage_id for r in requests if r.current_triage_id]
    results = (
        {
            t.id: t
            for t in session.scalars(select(TriageResult).where(TriageResult.id.in_(triage_ids)))
        }
        if triage_ids
        else {}
    )
    ids = [r.id for r in requests]
    names = {g.id: g.name for g in catalogue.working_groups}
    files: dict[uuid.UUID, list[AttachmentRead]] = {}
    if ids:
        for a in session.scalars(
            select(Attachment).where(Attachment.request_id.in_(ids)).order_by(Attachment.created_at)
        ):
            files.setdefault(a.request_id, []).append(_attachment_read(a))
    return [
        _to_read(
            r,
            triage=triage_service.result_to_read(
                results[r.current_triage_id], working_group_names=names
            )
            if r.current_triage_id in results
            else None,
            attachments=files.get(r.id, []),
        )
        for r in requests
    ]


def _parse_id(request_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(request_id)
    except ValueError:
        return None


def get_for_portal(
    session: Session, request_id: str, *, portal: PortalClient, catalogue: Catalogue
) -> AssistanceRequestRead:
    """A request of the portal's own State; any other id answers 404, existing or not."""
    parsed = _parse_id(request_id)
    request = session.get(AssistanceRequest, parsed) if parsed else None
    if request is None or request.requesting_state != portal.state_iso3:
        raise RequestNotFound("no such request")
    return read_one(session, request, catalogue=catalogue)


def list_for_portal(
    session: Session,
    *,
    portal: PortalClient,
    catalogue: Catalogue,
    status: RequestStatus | None,
    received_from: datetime | None,
    received_to: datetime | None,
    cursor: str | None,
    limit: int,
) -> AssistanceRequestPage:
    """The portal State's requests, newest first, keyset-paginated on (received_at, id)."""
    stmt = select(AssistanceRequest).where(AssistanceRequest.requesting_state == portal.state_iso3)
    if status is not None:
        stmt = stmt.where(AssistanceRequest.status == status.value)
    if received_from is not None:
        stmt = stmt.where(AssistanceRequest.received_at >= received_from)
    if received_to is not None:
        stmt = stmt.where(AssistanceRequest.received_at < received_to)
    if cursor:
        moment, ident = decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                AssistanceRequest.received_at < moment,
                and_(AssistanceRequest.received_at == moment, AssistanceRequest.id < ident),
            )
        )
    stmt = stmt.order_by(AssistanceRequest.received_at.desc(), AssistanceRequest.id.desc())
    rows = list(session.scalars(stmt.limit(limit + 1)))
    page, more = rows[:limit], len(rows) > limit
    return AssistanceRequestPage(
        items=_read_many(session, page, catalogue=catalogue),
        next_cursor=encode_cursor(page[-1].received_at, page[-1].id) if more and page else None,
    )
