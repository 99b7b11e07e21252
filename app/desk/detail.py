"""The request page: text with the explanation terms marked, triage, paragraphs, assignments,
similar requests and the audit timeline. Reading it is itself recorded in the audit trail."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.audit.models import AuditEvent
from app.auth.sessions import DeskIdentity
from app.catalogue.loader import Area, Catalogue, MemberState, Paragraph
from app.desk import highlight, similar
from app.desk.labels import Labels, current_labels, latest_review, model_labels
from app.desk.models import Review
from app.desk.versioned import parse_id
from app.dispatch import sla
from app.dispatch.models import Assignment
from app.errors import NotFound
from app.intake.models import AssistanceRequest, Attachment
from app.intake.schemas import TriageRead
from app.routing import service as routing_service
from app.routing.models import WorkingGroup
from app.triage import service as triage_service
from app.triage.models import TriageResult

TIMELINE_LIMIT = 300


@dataclass(frozen=True)
class AssignmentView:
    working_group: str
    working_group_name: str
    primary: bool
    status: str
    created_at: datetime
    dispatched_at: datetime | None
    acknowledged_at: datetime | None
    closed_at: datetime | None
    decline_reason: str | None
    dead_lettered: bool
    overdue: bool


@dataclass(frozen=True)
class RequestView:
    request: AssistanceRequest
    state: MemberState | None
    triage: TriageRead | None
    title_segments: list[highlight.Segment]
    body_segments: list[highlight.Segment]
    labels: Labels
    model: Labels
    areas: list[Area]
    paragraphs: list[Paragraph]
    working_groups: list[WorkingGroup]
    assignments: list[AssignmentView]
    attachments: list[Attachment]
    timeline: list[AuditEvent]
    timeline_truncated: bool
    last_review: Review | None
    duplicate_of: AssistanceRequest | None
    near_duplicates: list[similar.SimilarRequest]
    cluster: similar.RegionalCluster | None
    routes: dict[str, str]


def load(
    session: Session,
    request_id: str,
    *,
    identity: DeskIdentity,
    catalogue: Catalogue,
    now: datetime,
) -> RequestView:
    """Everything the page shows; records the read (an audit event) and commits it."""
    request = session.get(AssistanceRequest, parse_id(request_id))
    if request is None:
        raise NotFound("no such request")
    audit.record(
        session,
        action="request.viewed",
        actor_type="user",
        actor_id=str(identity.user.id),
        actor_label=identity.user.username,
        request_id=request.id,
    )
    session.flush()
    result = (
        session.get(TriageResult, request.current_triage_id) if request.current_triage_id else None
    )
    groups = routing_service.working_groups(session)
    names = {g.id: g.name for g in groups}
    triage = triage_service.result_to_read(result, working_group_names=names) if result else None
    review = latest_review(session, request.id)
    labels = current_labels(session, request, review)
    terms = [t.term for t in triage.explanation.terms] if triage else []
    timeline, truncated = _timeline(session, request.id)
    view = RequestView(
        request=request,
        state=catalogue.state(request.requesting_state),
        triage=triage,
        title_segments=highlight.segments(request.title or "", terms),
        body_segments=highlight.segments(request.body, terms),
        labels=labels,
        model=model_labels(result),
        areas=list(catalogue.areas),
        paragraphs=[catalogue.paragraph(n) for n in _paragraphs_shown(labels, triage)],
        working_groups=groups,
        assignments=_assignments(session, request.id, groups, now=now),
        attachments=list(
            session.scalars(
                select(Attachment)
                .where(Attachment.request_id == request.id)
                .order_by(Attachment.created_at)
            )
        ),
        timeline=timeline,
        timeline_truncated=truncated,
        last_review=review,
        duplicate_of=session.get(AssistanceRequest, request.duplicate_of_id)
        if request.duplicate_of_id
        else None,
        near_duplicates=similar.near_duplicates(session, request, result, catalogue=catalogue),
        cluster=similar.regional_cluster(session, request, catalogue=catalogue),
        routes={
            area: route.working_group_id
            for area, route in routing_service.current_routes(session).items()
        },
    )
    session.commit()
    return view


def _paragraphs_shown(labels: Labels, triage: TriageRead | None) -> list[int]:
    """The request's paragraphs, then the model's best ones, without repeats."""
    numbers = list(labels.paragraphs)
    if triage is not None:
        numbers += [p.number for p in triage.paragraphs[:3]]
    return list(dict.fromkeys(n for n in numbers if 1 <= n <= 30))


def _timeline(session: Session, request_id: uuid.UUID) -> tuple[list[AuditEvent], bool]:
    """Oldest first; the newest TIMELINE_LIMIT events when there are more."""
    rows = list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.request_id == request_id)
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .limit(TIMELINE_LIMIT + 1)
        )
    )
    truncated = len(rows) > TIMELINE_LIMIT
    return list(reversed(rows[:TIMELINE_LIMIT])), truncated


def _assignments(
    session: Session, request_id: uuid.UUID, groups: list[WorkingGroup], *, now: datetime
) -> list[AssignmentView]:
    by_id = {g.id: g for g in groups}
    out = []
    for a in session.scalars(
        select(Assignment)
        .where(Assignment.request_id == request_id)
        .order_by(Assignment.is_primary.desc(), Assignment.created_at)
    ):
        group = by_id.get(a.working_group_id)
        limit = (
            sla.Limits(group.sla_dispatch_hours, group.sla_ack_hours)
            if group
            else sla.DEFAULT_LIMITS
        )
        out.append(
            AssignmentView(
                working_group=a.working_group_id,
                working_group_name=group.name if group else a.working_group_id,
                primary=a.is_primary,
                status=a.status,
                created_at=a.created_at,
                dispatched_at=a.dispatched_at,
                acknowledged_at=a.acknowledged_at,
                closed_at=a.closed_at,
                decline_reason=a.decline_reason,
                dead_lettered=a.dead_lettered_at is not None,
                overdue=sla.clock(a, limit, now=now).overdue,
            )
        )
    return out
