"""The model page: the active version, its card's metrics, how often officers overrule it since
it was activated (per area and per language), the other versions and the background jobs."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from app.desk import jobs
from app.desk.models import DeskJob, Review, ReviewAction
from app.triage import registry
from app.triage.models import ModelVersion

METRICS = (
    "n",
    "area_top1",
    "primary_accuracy",
    "paragraph_hit3",
    "auto_precision",
    "auto_coverage",
    "ece",
)
VERSIONS_SHOWN = 10


@dataclass(frozen=True)
class OverrideRow:
    key: str  # an area id, or a language code; "" when the model had none
    reviewed: int
    overridden: int

    @property
    def rate(self) -> float:
        return self.overridden / self.reviewed if self.reviewed else 0.0


@dataclass(frozen=True)
class MetricRow:
    name: str
    validation: Any
    cross_validation: Any


@dataclass(frozen=True)
class ModelPage:
    active: ModelVersion | None
    metrics: list[MetricRow]
    per_language: list[tuple[str, dict[str, Any]]]
    per_area: list[tuple[str, dict[str, Any]]]
    overall: OverrideRow
    by_area: list[OverrideRow]
    by_language: list[OverrideRow]
    versions: list[ModelVersion]
    jobs: list[DeskJob]
    stale_jobs: set[str]


def _latest_reviews(active: ModelVersion) -> Any:
    """Each reviewed request's newest review of this version, since its activation."""
    since: ColumnElement[bool] = (
        Review.created_at >= active.activated_at
        if active.activated_at is not None
        else Review.created_at.is_not(None)
    )
    newest = (
        select(Review.request_id, func.max(Review.created_at).label("at"))
        .where(
            Review.model_version == active.version,
            Review.action != ReviewAction.DUPLICATE.value,
            since,
        )
        .group_by(Review.request_id)
        .subquery()
    )
    return newest


def override_rates(
    session: Session, active: ModelVersion
) -> tuple[OverrideRow, list[OverrideRow], list[OverrideRow]]:
    """(overall, per area of the model's primary choice, per language); reads only."""
    newest = _latest_reviews(active)
    joined = (
        select(Review)
        .join(
            newest, (Review.request_id == newest.c.request_id) & (Review.created_at == newest.c.at)
        )
        .subquery()
    )
    overridden = func.sum(case((joined.c.overridden.is_(True), 1), else_=0))

    def grouped(column: Any) -> list[OverrideRow]:
        rows = session.execute(
            select(column, func.count(), overridden).group_by(column).order_by(column)
        ).all()
        return [OverrideRow(key or "", int(n), int(o or 0)) for key, n, o in rows]

    by_area = grouped(joined.c.model_area)
    by_language = grouped(joined.c.language)
    overall = OverrideRow("", sum(r.reviewed for r in by_area), sum(r.overridden for r in by_area))
    return overall, by_area, by_language


def load(session: Session, *, now: datetime) -> ModelPage:
    active = registry.active(session)
    card: dict[str, Any] = dict(active.card) if active else {}
    validation = card.get("validation") or card.get("validation_metrics") or {}
    cross = card.get("cross_validation") or {}
    metrics = [MetricRow(name, validation.get(name), cross.get(name)) for name in METRICS]
    per_language = sorted(
        (validation.get("per_language") or cross.get("per_language") or {}).items()
    )
    per_area = sorted((validation.get("per_area") or cross.get("per_area") or {}).items())
    if active is not None:
        overall, by_area, by_language = override_rates(session, active)
    else:
        overall, by_area, by_language = OverrideRow("", 0, 0), [], []
    recent = jobs.recent(session)
    return ModelPage(
        active=active,
        metrics=metrics,
        per_language=per_language,
        per_area=per_area,
        overall=overall,
        by_area=by_area,
        by_language=by_language,
        versions=registry.versions(session)[:VERSIONS_SHOWN],
        jobs=recent,
        stale_jobs={str(j.id) for j in recent if jobs.is_stale(j, now=now)},
    )
