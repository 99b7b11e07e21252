"""Dispatching a decided request: assignments and outbox rows for its working group(s), planned
by the dispatch service in this transaction and delivered by the dispatcher after the commit."""

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.sessions import DeskIdentity
from app.catalogue.loader import Catalogue
from app.desk import trail, versioned
from app.desk.labels import Labels, current_labels, latest_review
from app.desk.versioned import ActionRefused, NotDecided
from app.dispatch import service as dispatch_service
from app.dispatch.models import Assignment
from app.intake.models import AssistanceRequest, RequestStatus
from app.intake.schemas import (
    AreaScoreRead,
    ExplanationRead,
    ParagraphScoreRead,
    TriageRead,
    WorkingGroupRef,
)
from app.routing import service as routing_service

DISPATCHABLE = frozenset(
    {
        RequestStatus.TRIAGED,
        RequestStatus.DISPATCHED,
        RequestStatus.ACKNOWLEDGED,
        RequestStatus.IN_PROGRESS,
    }
)


def assigned_groups(session: Session, request_id: uuid.UUID) -> list[str]:
    return list(
        session.scalars(
            select(Assignment.working_group_id).where(Assignment.request_id == request_id)
        )
    )


def dispatch(
    session: Session,
    request_id: str,
    *,
    version: str | None,
    identity: DeskIdentity,
    catalogue: Catalogue,
) -> list[str]:
    """Plan assignments (and their outbox rows) to the decided working group(s) not yet
    assigned; the dispatcher delivers them after the commit. Returns the groups added."""
    request = versioned.load(session, request_id, version)
    if request.status in (RequestStatus.RECEIVED, RequestStatus.NEEDS_REVIEW):
        raise NotDecided(f"{request.reference} waits for a decision: confirm or correct it first")
    if request.status not in DISPATCHABLE:
        raise ActionRefused(f"a request with status {request.status} is not dispatched")
    labels = current_labels(session, request, latest_review(session, request.id))
    if not labels.working_group or not labels.areas:
        raise ActionRefused(f"{request.reference} has no working group: correct it first")
    assigned = set(assigned_groups(session, request.id))
    groups = [g for g in labels.groups if g not in assigned]
    if not groups:
        raise ActionRefused(f"{request.reference} is already with {', '.join(sorted(assigned))}")
    sent = request.version
    versioned.touch(session, request, sent)
    routes = routing_service.current_routes(session)
    assignments = dispatch_service.plan(
        session,
        request=request,
        triage=_decision_triage(request, labels, catalogue),
        routes=routes,
        groups=groups,
    )
    for assignment in assignments:
        assignment.is_primary = assignment.working_group_id == labels.working_group
    trail.record(
        session,
        identity,
        "request.dispatch_ordered",
        request_id=request.id,
        details={"working_groups": groups, "areas": list(labels.areas)},
    )
    session.commit()
    return groups


def _decision_triage(
    request: AssistanceRequest, labels: Labels, catalogue: Catalogue
) -> TriageRead:
    """The officer's labels in the shape dispatch payloads are built from."""
    names = {a.id: a.name for a in catalogue.areas}
    groups = {g.id: g.name for g in catalogue.working_groups}
    group = labels.working_group or ""
    return TriageRead(
        decision="auto_routed",
        confidence=1.0,
        language=request.language,
        areas=[AreaScoreRead(id=a, name=names.get(a, a), score=1.0) for a in labels.areas],
        paragraphs=[ParagraphScoreRead(number=n, score=1.0) for n in labels.paragraphs],
        working_group=WorkingGroupRef(id=group, name=groups.get(group, group)),
        explanation=ExplanationRead(
            area=labels.areas[0],
            terms=[],
            paragraph=None,
            paragraph_summary=None,
            notes=["decided by a desk officer"],
        ),
        model_version="desk",
    )
