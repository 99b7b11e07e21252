"""A request's labels as the model gave them and as they stand now, in one comparable shape."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.desk.models import Review
from app.intake.models import AssistanceRequest, RequestArea, RequestParagraph, RequestStatus
from app.triage.models import TriageResult

# The same head intake keeps as a request's labels: plausible areas, at most three.
HEAD_SCORE = 0.5
HEAD_AREAS = 3
HEAD_PARAGRAPHS = 3


@dataclass(frozen=True)
class Labels:
    areas: tuple[str, ...] = ()
    paragraphs: tuple[int, ...] = ()
    working_group: str | None = None
    co_groups: tuple[str, ...] = ()
    out_of_scope: bool = False

    @property
    def groups(self) -> tuple[str, ...]:
        first = (self.working_group,) if self.working_group else ()
        return first + tuple(g for g in self.co_groups if g != self.working_group)

    def as_dict(self) -> dict[str, Any]:
        return {
            "areas": list(self.areas),
            "paragraphs": list(self.paragraphs),
            "working_group": self.working_group,
            "co_groups": list(self.co_groups),
            "out_of_scope": self.out_of_scope,
        }

    def overrides(self, model: "Labels") -> bool:
        """Whether these labels overrule the model's: another set of areas, or the other side
        of the scope line. Paragraph and routing changes are recorded but are not overrides."""
        return self.out_of_scope != model.out_of_scope or set(self.areas) != set(model.areas)


def from_dict(data: dict[str, Any]) -> Labels:
    return Labels(
        areas=tuple(str(a) for a in data.get("areas") or ()),
        paragraphs=tuple(int(p) for p in data.get("paragraphs") or ()),
        working_group=data.get("working_group"),
        co_groups=tuple(str(g) for g in data.get("co_groups") or ()),
        out_of_scope=bool(data.get("out_of_scope")),
    )


def model_labels(result: TriageResult | None) -> Labels:
    if result is None:
        return Labels()
    if result.decision == "out_of_scope":
        return Labels(out_of_scope=True)
    areas = [a for a in result.areas if float(a.get("score", 0)) >= HEAD_SCORE] or result.areas[:1]
    return Labels(
        areas=tuple(str(a["id"]) for a in areas[:HEAD_AREAS]),
        paragraphs=tuple(int(p["number"]) for p in result.paragraphs[:HEAD_PARAGRAPHS]),
        working_group=result.working_group_id,
    )


def latest_review(session: Session, request_id: uuid.UUID) -> Review | None:
    return session.scalar(
        select(Review)
        .where(Review.request_id == request_id)
        .order_by(Review.created_at.desc(), Review.id)
        .limit(1)
    )


def current_labels(
    session: Session, request: AssistanceRequest, review: Review | None = None
) -> Labels:
    areas = session.scalars(
        select(RequestArea.area_id)
        .where(RequestArea.request_id == request.id)
        .order_by(RequestArea.rank)
    ).all()
    paragraphs = session.scalars(
        select(RequestParagraph.number)
        .where(RequestParagraph.request_id == request.id)
        .order_by(RequestParagraph.rank)
    ).all()
    co_groups: tuple[str, ...] = ()
    if review is not None and review.action == "correct":
        co_groups = from_dict(review.after).co_groups
    return Labels(
        areas=tuple(areas),
        paragraphs=tuple(paragraphs),
        working_group=request.working_group_id,
        co_groups=co_groups,
        out_of_scope=request.status == RequestStatus.OUT_OF_SCOPE,
    )
