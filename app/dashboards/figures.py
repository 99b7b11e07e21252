"""Figures about the requests received in a period, read from their synced facts: how the
model decided, languages, States, current status and working group, labels, time to triage."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from app.catalogue.loader import Catalogue
from app.dashboards import facts
from app.dashboards.models import RequestFact
from app.dashboards.schemas import Spread
from app.dashboards.sql import ALL, seconds_between, spreads

BINS = 10


@dataclass
class RequestFigures:
    received: int = 0
    # (decision, language, confidence bin) → requests; bin None when there is no confidence.
    by_decision_language_bin: Counter[tuple[str | None, str | None, int | None]] = field(
        default_factory=Counter
    )
    by_state: Counter[str] = field(default_factory=Counter)
    by_state_status: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_status_group: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    # status → per-area counts (catalogue order) and per-paragraph counts (1..30).
    areas_by_status: dict[str, list[int]] = field(default_factory=dict)
    paragraphs_by_status: dict[str, list[int]] = field(default_factory=dict)
    to_triage: Spread = field(default_factory=Spread)

    def by_decision(self) -> Counter[str | None]:
        out: Counter[str | None] = Counter()
        for (decision, _, _), n in self.by_decision_language_bin.items():
            out[decision] += n
        return out

    def by_language(self) -> Counter[str | None]:
        out: Counter[str | None] = Counter()
        for (_, language, _), n in self.by_decision_language_bin.items():
            out[language] += n
        return out

    def area_totals(self, size: int) -> list[int]:
        return [sum(row[i] for row in self.areas_by_status.values()) for i in range(size)]

    def paragraph_totals(self) -> list[int]:
        rows = self.paragraphs_by_status.values()
        return [sum(row[i] for row in rows) for i in range(facts.PARAGRAPHS)]


def _bin() -> ColumnElement[int | None]:
    """The confidence decile, by comparisons (casts round on one backend, truncate on the
    other); 1.0 falls in the last bin."""
    confidence = RequestFact.confidence
    return case(
        (confidence.is_(None), None),
        *((confidence < (b + 1) / BINS, b) for b in range(BINS - 1)),
        else_=BINS - 1,
    )


def collect(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    catalogue: Catalogue,
    by_state_status: bool = False,
) -> RequestFigures:
    """Sync the facts of [start, end) and read them back grouped (flushes, never commits)."""
    facts.sync(session, start=start, end=end, catalogue=catalogue)
    where = facts.in_period(start, end)
    out = RequestFigures()
    bin_ = _bin().label("bin")
    for decision, language, b, n in session.execute(
        select(RequestFact.decision, RequestFact.language, bin_, func.count())
        .where(where)
        .group_by(RequestFact.decision, RequestFact.language, bin_)
    ):
        out.by_decision_language_bin[(decision, language, b)] = int(n)
        out.received += int(n)
    if by_state_status:
        for state, status, n in session.execute(
            select(RequestFact.requesting_state, RequestFact.status, func.count())
            .where(where)
            .group_by(RequestFact.requesting_state, RequestFact.status)
        ):
            out.by_state_status[(state, status)] = int(n)
            out.by_state[state] += int(n)
    else:
        for state, n in session.execute(
            select(RequestFact.requesting_state, func.count())
            .where(where)
            .group_by(RequestFact.requesting_state)
        ):
            out.by_state[state] = int(n)
    size = len(catalogue.area_ids)
    # Labels come back grouped by their bit sets (a few hundred distinct sets a month).
    for status, group, areas, n in session.execute(
        select(RequestFact.status, RequestFact.working_group_id, RequestFact.areas, func.count())
        .where(where)
        .group_by(RequestFact.status, RequestFact.working_group_id, RequestFact.areas)
    ):
        out.by_status_group[(status, group)] += int(n)
        row = out.areas_by_status.setdefault(status, [0] * size)
        for i in facts.bits(areas):
            if i < size:
                row[i] += int(n)
    for status, paragraphs, n in session.execute(
        select(RequestFact.status, RequestFact.paragraphs, func.count())
        .where(where)
        .group_by(RequestFact.status, RequestFact.paragraphs)
    ):
        row = out.paragraphs_by_status.setdefault(status, [0] * facts.PARAGRAPHS)
        for i in facts.bits(paragraphs):
            if i < facts.PARAGRAPHS:
                row[i] += int(n)
    waited = case(
        (
            RequestFact.decision == "needs_review",
            seconds_between(RequestFact.first_reviewed_at, RequestFact.received_at),
        ),
        else_=seconds_between(RequestFact.triaged_at, RequestFact.received_at),
    )
    out.to_triage = spreads(session, value=waited, where=(where,)).get(ALL, Spread())
    return out
