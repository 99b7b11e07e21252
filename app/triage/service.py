"""Turning a classifier's triage into the stored result and the API's triage object."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalogue.loader import Catalogue
from app.db import NewRow, new_id, new_row
from app.intake.schemas import (
    AreaScoreRead,
    ExplanationRead,
    ParagraphScoreRead,
    TriageRead,
    WorkingGroupRef,
)
from app.routing.service import Route
from app.triage.models import TriageResult
from ml.classifier import Triage

MIN_RANKED = 3


def route_for(triage: Triage, routes: dict[str, Route]) -> Route | None:
    """The working group of the best area; none when the request is out of scope."""
    if triage.decision == "out_of_scope" or not triage.areas:
        return None
    return routes.get(triage.areas[0].id)


def to_read(triage: Triage, *, route: Route | None, notes: list[str] | None = None) -> TriageRead:
    explanation = triage.explanation
    # Validated in one call from plain data: pydantic builds the nested models natively,
    # several times faster than constructing each score in Python.
    return TriageRead.model_validate(
        {
            "decision": triage.decision,
            "confidence": round(float(triage.confidence), 4),
            "language": triage.language,
            "areas": [
                {"id": a.id, "name": a.name, "score": round(float(a.score), 4)}
                for a in triage.areas
            ],
            "paragraphs": [
                {"number": p.number, "score": round(float(p.score), 4)} for p in triage.paragraphs
            ],
            "working_group": {"id": route.working_group_id, "name": route.working_group_name}
            if route
            else None,
            "explanation": {
                "area": explanation.area,
                "terms": [
                    {"term": t.term, "weight": round(float(t.weight), 4)} for t in explanation.terms
                ],
                "paragraph": explanation.paragraph,
                "paragraph_summary": explanation.paragraph_summary,
                "notes": notes or [],
            },
            "model_version": triage.model_version,
        }
    )


def result_row(
    *, request_id: uuid.UUID, read: TriageRead, scope_score: float | None, created_at: datetime
) -> NewRow:
    """The stored triage of a request, as a row to insert; its id is `.values["id"]`."""
    stored = read.model_dump(include={"areas", "paragraphs", "explanation"})
    return new_row(
        TriageResult,
        id=new_id(),
        request_id=request_id,
        model_version=read.model_version,
        decision=read.decision,
        confidence=read.confidence,
        scope_score=scope_score,
        language=read.language,
        areas=stored["areas"],
        paragraphs=stored["paragraphs"],
        working_group_id=read.working_group.id if read.working_group else None,
        explanation=stored["explanation"],
        created_at=created_at,
    )


def named(read: TriageRead, working_group_names: dict[str, str]) -> TriageRead:
    """The triage with its working group under the name `result_to_read` would give it."""
    group = read.working_group
    if group is None or working_group_names.get(group.id, group.id) == group.name:
        return read
    renamed = WorkingGroupRef(id=group.id, name=working_group_names.get(group.id, group.id))
    return read.model_copy(update={"working_group": renamed})


def result_to_read(row: TriageResult, *, working_group_names: dict[str, str]) -> TriageRead:
    group = row.working_group_id
    return TriageRead(
        decision=row.decision,
        confidence=row.confidence,
        language=row.language,
        areas=[AreaScoreRead(**a) for a in row.areas],
        paragraphs=[ParagraphScoreRead(**p) for p in row.paragraphs],
        working_group=WorkingGroupRef(id=group, name=working_group_names.get(group, group))
        if group
        else None,
        explanation=ExplanationRead(**row.explanation),
        model_version=row.model_version,
    )


def latest_results(session: Session, request_ids: list[uuid.UUID]) -> dict[uuid.UUID, TriageResult]:
    if not request_ids:
        return {}
    rows = session.scalars(
        select(TriageResult)
        .where(TriageResult.request_id.in_(request_ids))
        .order_by(TriageResult.created_at)
    )
    latest: dict[uuid.UUID, TriageResult] = {}
    for row in rows:
        latest[row.request_id] = row
    return latest


def area_names(catalogue: Catalogue) -> dict[str, str]:
    return {area.id: area.name for area in catalogue.areas}


def explanation_dict(read: TriageRead) -> dict[str, Any]:
    return read.explanation.model_dump()
