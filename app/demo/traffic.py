"""Synthetic requests drawn from the training corpus, with the triage rows, labels, reviews and
assignments that intake, the desk and the working groups would have left behind by `now`."""

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.catalogue.loader import Catalogue
from app.demo import lifecycle, profiles
from app.demo.lifecycle import Labels
from app.demo.profiles import pick_other
from app.dispatch import progress as dispatch_progress
from app.intake.models import RequestStatus
from ml.corpus import Example

Row = tuple[Any, ...]

REQUEST_COLUMNS = (
    "id", "reference", "requesting_state", "body", "language", "status", "review_reason",
    "received_at", "updated_at", "triaged_at", "decision", "confidence", "primary_area",
    "working_group_id", "current_triage_id", "duplicate_of_id", "version",
)  # fmt: skip
TRIAGE_COLUMNS = (
    "id", "request_id", "model_version", "decision", "confidence", "scope_score", "language",
    "areas", "paragraphs", "working_group_id", "explanation", "created_at",
)  # fmt: skip
AREA_COLUMNS = ("request_id", "area_id", "rank")
PARAGRAPH_COLUMNS = ("request_id", "number", "rank")
ASSIGNMENT_COLUMNS = (
    "id", "request_id", "working_group_id", "is_primary", "status", "created_at",
    "dispatched_at", "acknowledged_at", "started_at", "closed_at", "decline_reason",
    "delivery_count",
)  # fmt: skip
REVIEW_COLUMNS = (
    "id", "request_id", "reviewer", "action", "language", "model_version", "model_decision",
    "model_area", "model_labels", "before", "after", "overridden", "created_at",
)  # fmt: skip
STATUS_OF = {
    "auto_routed": RequestStatus.TRIAGED.value,
    "needs_review": RequestStatus.NEEDS_REVIEW.value,
    "out_of_scope": RequestStatus.OUT_OF_SCOPE.value,
}
REVIEW_REASON = "model confidence below the auto-routing threshold"


@dataclass
class Batch:
    """Rows for one slice of requests, each list in its table's column order."""

    requests: list[Row] = field(default_factory=list)
    triage_results: list[Row] = field(default_factory=list)
    request_areas: list[Row] = field(default_factory=list)
    request_paragraphs: list[Row] = field(default_factory=list)
    assignments: list[Row] = field(default_factory=list)
    reviews: list[Row] = field(default_factory=list)


@dataclass
class _Request:
    """One request's state while it is drawn."""

    id: uuid.UUID
    state: str
    example: Example
    decision: str
    confidence: float
    model: Labels
    labels: Labels
    status: str
    routed_at: datetime | None
    duplicate_of: uuid.UUID | None = None


class TrafficGenerator:
    """Draws requests one at a time; deterministic for a given seed, corpus and catalogue."""

    def __init__(
        self,
        *,
        catalogue: Catalogue,
        examples: Sequence[Example],
        routes: Mapping[str, str],
        now: datetime,
        seed: int,
        model_version: str,
        reference_prefix: str,
    ) -> None:
        self.rng = random.Random(seed)
        self.catalogue = catalogue
        self.routes = routes
        self.now = now
        self.model_version = model_version
        self.prefix = reference_prefix
        self.counters: dict[int, int] = {}
        self.states = profiles.StateProfile.build(catalogue, self.rng)
        self.by_language: dict[str, list[Example]] = {}
        for example in examples:
            self.by_language.setdefault(example.language, []).append(example)
        self.area_ids = catalogue.area_ids
        self.area_names = {a.id: a.name for a in catalogue.areas}
        self.last_of_state: dict[str, uuid.UUID] = {}

    def _uuid(self) -> uuid.UUID:
        # Fresh ids on every run, so the same seed can be loaded twice into one database.
        return uuid.uuid4()

    def _reference(self, received: datetime) -> str:
        value = self.counters.get(received.year, 0) + 1
        self.counters[received.year] = value
        return f"{self.prefix}-{received.year}-{value:06d}"

    def _draw(self, received: datetime) -> _Request:
        """The request and the model's triage of it: usually right when confident."""
        rng = self.rng
        state = self.states.pick(rng)
        language = profiles.language_for(state, rng)
        pool = self.by_language.get(language) or next(iter(self.by_language.values()))
        example = rng.choice(pool)
        u = rng.random()
        if example.in_scope:
            decision = "auto_routed" if u < 0.66 else "needs_review" if u < 0.96 else "out_of_scope"
            right = rng.random() < (0.97 if decision == "auto_routed" else 0.6)
        else:
            decision, right = ("out_of_scope" if u < 0.85 else "needs_review"), False
        if right:
            areas, paragraphs = example.areas[:3], example.paragraphs[:3]
        else:
            wrong = pick_other(rng, self.area_ids, example.primary_area)
            areas, paragraphs = (wrong,), (self.catalogue.area(wrong).core_paragraph,)
        low, span = {"auto_routed": (0.72, 0.27), "needs_review": (0.3, 0.4)}.get(
            decision, (0.5, 0.45)
        )
        model = (
            Labels(out_of_scope=True)
            if decision == "out_of_scope"
            else Labels(areas, paragraphs, self.routes.get(areas[0]))
        )
        return _Request(
            id=self._uuid(),
            state=state,
            example=example,
            decision=decision,
            confidence=round(low + span * rng.betavariate(2.5, 1.5), 4),
            model=model,
            labels=model,
            status=STATUS_OF[decision],
            routed_at=received if decision == "auto_routed" else None,
        )

    def _triage_row(self, r: _Request, at: datetime) -> Row:
        ranked = list(r.model.areas) or [r.example.primary_area]
        if ranked[0] not in self.area_names:
            ranked = [pick_other(self.rng, self.area_ids, "")]
        while len(ranked) < 3:
            ranked.append(pick_other(self.rng, self.area_ids, ranked[0]))
        scores = [r.confidence] + [round(self.rng.random() * 0.4, 4) for _ in ranked[1:]]
        numbers = list(dict.fromkeys((*r.model.paragraphs, self.rng.randint(1, 30), 27, 29)))[:3]
        return (
            self._uuid(),
            r.id,
            self.model_version,
            r.decision,
            r.confidence,
            round(1 - r.confidence, 4) if r.decision == "out_of_scope" else r.confidence,
            r.example.language,
            [
                {"id": a, "name": self.area_names[a], "score": s}
                for a, s in zip(ranked, scores, strict=True)
            ],
            [{"number": n, "score": round(0.9 - 0.3 * i, 4)} for i, n in enumerate(numbers)],
            r.model.working_group,
            {"area": ranked[0], "terms": [], "paragraph": numbers[0], "paragraph_summary": None,
             "notes": []},
            at,
        )  # fmt: skip

    def _review(self, r: _Request, at: datetime, batch: Batch) -> None:
        """An officer's decision: merge as duplicate, mark out of scope, confirm or correct."""
        rng, example = self.rng, self.example_labels(r.example)
        before = r.labels
        earlier = self.last_of_state.get(r.state)
        if r.decision == "needs_review" and earlier is not None and rng.random() < 0.03:
            action, after, r.status, r.duplicate_of = "duplicate", before, "duplicate", earlier
        elif not r.example.in_scope:
            action, after = "out_of_scope", Labels(out_of_scope=True)
            r.status, r.routed_at = RequestStatus.OUT_OF_SCOPE.value, None
        else:
            same = not before.out_of_scope and set(before.areas) == set(example.areas)
            action, after = ("confirm", before) if same else ("correct", example)
            if r.status in (RequestStatus.NEEDS_REVIEW, RequestStatus.OUT_OF_SCOPE):
                r.status = RequestStatus.TRIAGED.value
            if r.routed_at is None:
                delay = lifecycle.dispatch_delay(rng)
                r.routed_at = at + delay if delay is not None else None
        r.labels = after
        batch.reviews.append((
            self._uuid(), r.id, rng.choice(lifecycle.REVIEWERS), action, r.example.language,
            self.model_version, r.decision, r.model.areas[0] if r.model.areas else None,
            r.model.as_dict(), before.as_dict(), after.as_dict(), after.overrides(r.model), at,
        ))  # fmt: skip

    def example_labels(self, example: Example) -> Labels:
        areas = tuple(a for a in example.areas if a in self.area_names)[:3]
        return Labels(areas, example.paragraphs[:3], self.routes.get(areas[0]) if areas else None)

    def _needs_review(self, r: _Request) -> bool:
        if r.decision == "needs_review":
            return True
        if r.decision == "auto_routed":
            return self.rng.random() < 0.02  # spot checks
        return r.example.in_scope and self.rng.random() < 0.5  # the model missed the scope

    def request(self, received: datetime, batch: Batch) -> None:
        """Append one request and everything that happened to it by `now` to the batch."""
        r = self._draw(received)
        batch.triage_results.append(self._triage_row(r, received))
        if self._needs_review(r):
            at = received + lifecycle.review_delay(self.rng)
            if at <= self.now:
                self._review(r, at, batch)
        labels = r.labels
        for rank, area in enumerate(labels.areas):
            batch.request_areas.append((r.id, area, rank))
        for rank, number in enumerate(labels.paragraphs):
            batch.request_paragraphs.append((r.id, number, rank))
        routed = r.routed_at is not None and r.routed_at <= self.now
        if routed and r.routed_at and r.status != RequestStatus.DUPLICATE and labels.areas:
            statuses = []
            for index, group in enumerate(self._groups(labels)):
                row, status = lifecycle.assignment(
                    self.rng, request_id=r.id, group=group, primary=index == 0,
                    created=r.routed_at, now=self.now,
                )  # fmt: skip
                batch.assignments.append(row)
                statuses.append(status)
            aggregate = dispatch_progress.aggregate_status(statuses)
            r.status = aggregate.value if aggregate else RequestStatus.TRIAGED.value
        batch.requests.append((
            r.id, self._reference(received), r.state, r.example.text, r.example.language,
            r.status, REVIEW_REASON if r.status == RequestStatus.NEEDS_REVIEW else None,
            received, received, received, r.decision, r.confidence,
            labels.areas[0] if labels.areas else None, labels.working_group,
            batch.triage_results[-1][0], r.duplicate_of, 1,
        ))  # fmt: skip
        self.last_of_state[r.state] = r.id

    def _groups(self, labels: Labels) -> list[str]:
        """The decided group first, then (half the time) the group of a secondary area."""
        groups = [labels.working_group] if labels.working_group else []
        for area in labels.areas[1:]:
            group = self.routes.get(area)
            if group and group not in groups and self.rng.random() < 0.5:
                groups.append(group)
        return groups[:2]
