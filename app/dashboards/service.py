"""Dashboard use cases: the monthly figures, the implementation report and their exports, and
preparing a freshly loaded database (facts and closed-month snapshots) ahead of the first read."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.catalogue.loader import Catalogue
from app.dashboards import exports, facts, monthly, report, snapshots, tables
from app.dashboards.periods import DateRange, Month
from app.dashboards.replica import reading
from app.dashboards.schemas import ImplementationReport, MonthlyStats
from app.db import utcnow
from app.intake.models import AssistanceRequest


@dataclass(frozen=True)
class Export:
    content: bytes
    media_type: str
    filename: str


def monthly_stats(
    session: Session,
    *,
    month: str | None,
    catalogue: Catalogue,
    now: datetime | None = None,
    replica: "sessionmaker[Session] | None" = None,
) -> MonthlyStats:
    """Raises InvalidPeriod (422) for a month not written YYYY-MM. With a `replica`, the
    figures are read there (see app/dashboards/replica.py)."""
    moment = now or utcnow()
    chosen = Month.parse(month, now=moment)

    def prepare(primary: Session) -> None:
        monthly.prepare(primary, month=chosen, catalogue=catalogue, now=moment)

    with reading(session, replica, prepare) as (source, writable):
        return monthly.monthly_stats(
            source, month=chosen, catalogue=catalogue, now=moment, writable=writable
        )


def implementation_report(
    session: Session,
    *,
    first: str | None,
    last: str | None,
    catalogue: Catalogue,
    now: datetime | None = None,
    replica: "sessionmaker[Session] | None" = None,
) -> ImplementationReport:
    """Raises InvalidPeriod (422) for dates not written YYYY-MM-DD or in the wrong order.
    With a `replica`, the figures are read there (see app/dashboards/replica.py)."""
    moment = now or utcnow()
    period = DateRange.parse(first, last, now=moment)

    def prepare(primary: Session) -> None:
        report.prepare(primary, period=period, catalogue=catalogue)

    with reading(session, replica, prepare) as (source, writable):
        return report.implementation_report(
            source, period=period, catalogue=catalogue, now=moment, writable=writable
        )


def _about(kind: str, period: str, generated_at: datetime) -> list[tuple[str, str]]:
    return [
        ("report", kind),
        ("period", period),
        ("generated_at", generated_at.isoformat()),
        ("time zone", "UTC"),
        ("source", "CT technical-assistance triage (ECOSOC resolution 2019/21)"),
    ]


def export_monthly(stats: MonthlyStats, output: str) -> Export:
    about = _about("monthly workload", stats.month, stats.generated_at)
    if stats.closed is False:
        about.append(("note", "the month is not over: figures are as of generated_at"))
    return _export(tables.monthly_tables(stats), about, output, f"ct-triage-{stats.month}")


def export_report(found: ImplementationReport, output: str) -> Export:
    period = f"{found.first_day.isoformat()} to {found.last_day.isoformat()}"
    about = _about(
        "implementation report (resolution 2019/21, paragraph 30)", period, found.generated_at
    )
    name = f"ct-triage-implementation-{found.first_day.isoformat()}-{found.last_day.isoformat()}"
    return _export(tables.report_tables(found), about, output, name)


def _export(
    found: list[tables.Table], about: list[tuple[str, str]], output: str, name: str
) -> Export:
    if output == "csv":
        return Export(exports.to_csv(found, about), exports.CSV_MEDIA_TYPE, f"{name}.csv")
    return Export(exports.to_xlsx(found, about), exports.XLSX_MEDIA_TYPE, f"{name}.xlsx")


def prepare(
    session: Session,
    *,
    catalogue: Catalogue,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Copy every month's facts and store every closed month's snapshot, oldest month first,
    committing per month; returns how many months were prepared. Reads after this are fast
    from the first one (seed-demo calls it after loading traffic)."""
    moment = now or utcnow()
    first = session.scalar(select(func.min(AssistanceRequest.received_at)))
    if first is None:
        return 0
    months = []
    month = Month.containing(first)
    while month <= Month.containing(moment):
        months.append(month)
        month = month.shift(1)
    for done, month in enumerate(months, start=1):
        facts.sync(session, start=month.start, end=month.end, catalogue=catalogue)
        snapshots.event_figures(session, [month], now=moment)
        session.commit()
        if progress is not None:
            progress(done, len(months))
    return len(months)
