"""Planning dispatch: assignments per working group and their outbox rows, in the caller's
transaction, so a routed request and its delivery promise commit together."""

from typing import Any

from sqlalchemy.orm import Session

from app.dispatch.models import Assignment, OutboxEntry
from app.intake.models import AssistanceRequest
from app.intake.schemas import TriageRead
from app.routing.service import Route

# A secondary area this likely, routed to another group, co-assigns the request there.
CO_ASSIGN_SCORE = 0.6
STREAM_PREFIX = "triage:wg:"


def stream_name(working_group_id: str) -> str:
    return f"{STREAM_PREFIX}{working_group_id}"


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


def entry_payload(
    request: AssistanceRequest, triage: TriageRead, working_group_id: str, *, primary: bool
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


def plan(
    session: Session,
    *,
    request: AssistanceRequest,
    triage: TriageRead,
    routes: dict[str, Route],
    groups: list[str] | None = None,
) -> list[Assignment]:
    """Add an assignment and an outbox row for each working group the request goes to."""
    targets = groups if groups is not None else groups_for(triage, routes)
    assignments = []
    for index, group in enumerate(targets):
        assignment = Assignment(
            request_id=request.id, working_group_id=group, is_primary=index == 0
        )
        session.add(assignment)
        session.add(
            OutboxEntry(
                request_id=request.id,
                working_group_id=group,
                topic="dispatch",
                payload=entry_payload(request, triage, group, primary=index == 0),
            )
        )
        assignments.append(assignment)
    return assignments
