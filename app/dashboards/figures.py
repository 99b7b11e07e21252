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
from app.dashboards.sql import ALL, spreads

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
    sync: bool = True,
) -> RequestFigures:
    """Sync the facts of [start, end) and read them back grouped (flushes, never commits);
    with `sync` false, read them as they are (on a replica, synced on the primary)."""
    if sync:
        facts.sync(session, start=start, end=end, catalogue=catalogue)
    where = facts.in_period(start, end)
    out = RequestFigures()
    bin_ = _bin().label("bin")
    # Two grouped reads of the month's facts: model and origin, then status and labels.
    for decision, language, b, state, n in session.execute(
        select(RequestFact.decision, RequestFact.language, bin_, RequestFact.requesting_state,
               func.count())
        .where(where)
        .group_by(RequestFact.decision, RequestFact.language, bin_, RequestFact.requesting_state)
    ):  # fmt: skip
        out.by_decision_language_bin[(decision, language, b)] += int(n)
        out.by_state[state] += int(n)
        out.received += int(n)
    if by_state_status:
        for state, status, n in session.execute(
            select(RequestFact.requesting_state, RequestFact.status, func.count())
            .where(where)
            .group_by(RequestFact.requesting_state, RequestFact.status)
        ):
            out.by_state_status[(state, status)] = int(n)
    size = len(catalogue.area_ids)
    # Labels come back grouped by their bit sets (a few hundred distinct sets a month).
    columns = (
        RequestFact.status,
        RequestFact.working_group_id,
        RequestFact.areas,
        RequestFact.paragraphs,
    )
    for status, group, areas, paragraphs, n in session.execute(
        select(*columns, func.count()).where(where).group_by(*columns)
    ):
        out.by_status_group[(status, group)] += int(n)
        area_row = out.areas_by_status.setdefault(status, [0] * size)
        for i in facts.bits(areas):
            if i < size:
                area_row[i] += int(n)
        paragraph_row = out.paragraphs_by_status.setdefault(status, [0] * facts.PARAGRAPHS)
        for i in facts.bits(paragraphs):
            if i < facts.PARAGRAPHS:
                paragraph_row[i] += int(n)
    found = spreads(session, value=RequestFact.triage_seconds, where=(where,))
    out.to_triage = found.get(ALL, Spread())
    return out
