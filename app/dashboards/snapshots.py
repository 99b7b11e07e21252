"""Event figures per month: stored once they are final, computed live for what is not.

Every event figure is timed (an assignment dispatched, a review made, a deadline falling due)
and no later write can add an event before `now` minus a grace hour (clock skew, transactions
still committing). So a closed month's figures are computed once and read back from then on;
the current month keeps the counts of its days already over in the same row, refreshed once a
day, and adds the live counts of the days since, with times and backlog computed live.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.dashboards import events
from app.dashboards.models import MonthSnapshot
from app.dashboards.periods import Month
from app.dashboards.schemas import EventFigures
from app.dashboards.sql import month_of
from app.dispatch.models import Assignment

FORMAT = 1  # bump when EventFigures changes meaning; older snapshots are then recomputed
GRACE = timedelta(hours=1)


def is_closed(month: Month, now: datetime) -> bool:
    return now >= month.end + GRACE


def final_until(month: Month, now: datetime) -> datetime:
    """Events of the month before this instant are final: the month's end once it is closed,
    else the start of the UTC day the grace hour ago falls in (never before the month)."""
    if is_closed(month, now):
        return month.end
    settled = (now - GRACE).astimezone(UTC)
    day = datetime(settled.year, settled.month, settled.day, tzinfo=UTC)
    return min(max(day, month.start), month.end)


def _store(
    session: Session, month: Month, until: datetime, figures: EventFigures, now: datetime
) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = {
        "month": month.label,
        "format": FORMAT,
        "until": until,
        "figures": figures.model_dump(mode="json"),
        "computed_at": now,
    }
    statement = insert(MonthSnapshot).values(**values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[MonthSnapshot.month],
            set_={k: statement.excluded[k] for k in ("format", "until", "figures", "computed_at")},
        )
    )


def _stored(session: Session, months: list[Month], now: datetime) -> dict[str, EventFigures]:
    """Snapshots still current: made in this format, up to the month's final instant."""
    wanted = {m.label: final_until(m, now) for m in months}
    rows = session.scalars(
        select(MonthSnapshot).where(
            MonthSnapshot.month.in_(list(wanted)), MonthSnapshot.format == FORMAT
        )
    )
    return {
        row.month: EventFigures.model_validate(row.figures)
        for row in rows
        if row.until == wanted[row.month]
    }


def event_figures(
    session: Session, months: list[Month], *, now: datetime, store: bool = True
) -> list[EventFigures]:
    """The event figures of each month, oldest first; flushes new snapshots, never commits.
    With `store` false a missing snapshot is computed and not kept (a read-only session)."""
    stored = _stored(session, months, now)
    out = []
    for month in months:
        until = final_until(month, now)
        figures = stored.get(month.label)
        if until == month.end:
            if figures is None:
                figures = events.compute(session, start=month.start, end=month.end, now=now)
                if store:
                    _store(session, month, until, figures, now)
            out.append(figures)
            continue
        if until == month.start:
            out.append(events.compute(session, start=month.start, end=month.end, now=now))
            continue
        if figures is None:
            figures = events.counts(session, start=month.start, end=until, now=now)
            if store:
                _store(session, month, until, figures, now)
        live = events.counts(session, start=until, end=month.end, now=now)
        whole = events.merge(figures, live)
        events.add_spreads(session, whole, start=month.start, end=month.end)
        whole.backlog_at_end = events.backlog(session, at=month.end, now=now)
        out.append(whole)
    session.flush()
    return out


def assigned_per_month(
    session: Session,
    months: list[Month],
    *,
    now: datetime,
    known: dict[str, EventFigures],
    store: bool = True,
) -> dict[str, dict[str, int]]:
    """Assignments created per month and working group: from `known` figures, then stored
    snapshots of closed months, then one grouped query for the open months left."""
    figures = dict(known)
    closed = [m for m in months if is_closed(m, now) and m.label not in figures]
    figures.update(
        zip(
            [m.label for m in closed],
            event_figures(session, closed, now=now, store=store),
            strict=True,
        )
    )
    out = {
        label: {g: e.assigned for g, e in f.groups.items() if e.assigned}
        for label, f in figures.items()
    }
    rest = [m for m in months if m.label not in out]
    if rest:
        bucket = month_of(Assignment.created_at)
        rows = session.execute(
            select(bucket, Assignment.working_group_id, func.count())
            .where(Assignment.created_at >= rest[0].start, Assignment.created_at < rest[-1].end)
            .group_by(bucket, Assignment.working_group_id)
        )
        for label, group, n in rows:
            if label in {m.label for m in rest}:
                out.setdefault(str(label), {})[group] = int(n)
    return out
