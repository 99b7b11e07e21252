"""The implementation report for the Secretary-General's report on resolution 2019/21 (its
paragraph 30): requests received in a period and where they stand, per operative paragraph
and per region."""

from collections import Counter
from datetime import datetime

from sqlalchemy.orm import Session

from app.catalogue.loader import Catalogue
from app.dashboards import facts
from app.dashboards import figures as request_figures
from app.dashboards.monthly import UNKNOWN_REGION
from app.dashboards.periods import DateRange
from app.dashboards.schemas import ImplementationReport, OutcomeRow
from app.intake.models import RequestStatus as S

# Where a request stands, in the words of the report.
OUTCOMES: dict[str, tuple[S, ...]] = {
    "pending": (S.RECEIVED, S.TRIAGED, S.NEEDS_REVIEW),
    "with_working_group": (S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS),
    "completed": (S.COMPLETED,),
    "declined": (S.DECLINED,),
    "out_of_scope": (S.OUT_OF_SCOPE,),
    "duplicate": (S.DUPLICATE,),
}
OUTCOME_OF = {
    status.value: outcome for outcome, statuses in OUTCOMES.items() for status in statuses
}
OUTCOME_LABELS = {
    "pending": "Pending decision or dispatch",
    "with_working_group": "With a working group",
    "completed": "Completed",
    "declined": "Declined",
    "out_of_scope": "Out of scope",
    "duplicate": "Duplicate",
}


def _row(key: str, name: str, by_status: Counter[str]) -> OutcomeRow:
    outcomes = dict.fromkeys(OUTCOMES, 0)
    for status, n in by_status.items():
        outcomes[OUTCOME_OF.get(status, "pending")] += n
    return OutcomeRow(key=key, name=name, received=sum(by_status.values()), outcomes=outcomes)


def prepare(session: Session, *, period: DateRange, catalogue: Catalogue) -> None:
    """What `implementation_report` writes, alone: the period's facts (flushes)."""
    facts.sync(session, start=period.start, end=period.end, catalogue=catalogue)


def implementation_report(
    session: Session,
    *,
    period: DateRange,
    catalogue: Catalogue,
    now: datetime,
    writable: bool = True,
) -> ImplementationReport:
    """Requests received from `period.first` to `period.last` (UTC days, both included).

    A request resting on several paragraphs counts under each of them; each request counts
    in exactly one region. Brings the period's facts up to date and commits that once.
    """
    found = request_figures.collect(
        session,
        start=period.start,
        end=period.end,
        catalogue=catalogue,
        by_state_status=True,
        sync=writable,
    )
    if writable:
        session.commit()
    paragraph_rows = []
    for paragraph in catalogue.paragraphs:
        by_status = Counter(
            {
                status: row[paragraph.number - 1]
                for status, row in found.paragraphs_by_status.items()
            }
        )
        paragraph_rows.append(_row(str(paragraph.number), paragraph.title, by_status))
    regions: dict[str, Counter[str]] = {
        r: Counter() for r in sorted({s.region for s in catalogue.states})
    }
    subregions: dict[tuple[str, str], Counter[str]] = {
        key: Counter() for key in sorted({(s.region, s.subregion) for s in catalogue.states})
    }
    for (iso3, status), n in found.by_state_status.items():
        state = catalogue.state(iso3)
        region, subregion = (state.region, state.subregion) if state else (UNKNOWN_REGION,) * 2
        regions.setdefault(region, Counter())[status] += n
        subregions.setdefault((region, subregion), Counter())[status] += n
    total = Counter[str]()
    for (_, status), n in found.by_state_status.items():
        total[status] += n
    overall = _row("all", "All requests", total)
    return ImplementationReport(
        first_day=period.first,
        last_day=period.last,
        generated_at=now,
        received=found.received,
        outcomes=overall.outcomes,
        by_paragraph=paragraph_rows,
        by_region=[_row(r, r, c) for r, c in regions.items()],
        by_subregion=[_row(f"{r}/{s}", s, c) for (r, s), c in subregions.items()],
    )
