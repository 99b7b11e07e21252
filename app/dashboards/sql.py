"""SQL pieces the dashboards need on both backends: durations, months and percentiles."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    String,
    and_,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement

from app.dashboards.schemas import Spread
from app.db import UTCDateTime


class seconds_between(FunctionElement[float]):
    """`end - start` in seconds, as a float."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between, "postgresql")
def _seconds_pg(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    end, start = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)}))"


@compiles(seconds_between)
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    end, start = list(element.clauses)
    return (
        f"((julianday({compiler.process(end, **kw)}) - "
        f"julianday({compiler.process(start, **kw)})) * 86400.0)"
    )


class month_of(FunctionElement[str]):
    """The UTC calendar month of a timestamp, as 'YYYY-MM'."""

    type = String()
    inherit_cache = True


@compiles(month_of, "postgresql")
def _month_pg(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    (value,) = list(element.clauses)
    return f"to_char({compiler.process(value, **kw)} AT TIME ZONE 'UTC', 'YYYY-MM')"


@compiles(month_of)
def _month_sqlite(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite stores UTC timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' text.
    (value,) = list(element.clauses)
    return f"substr({compiler.process(value, **kw)}, 1, 7)"


def at(moment: datetime) -> ColumnElement[datetime]:
    """A timestamp parameter bound exactly as the UTC columns store theirs."""
    return literal(moment, UTCDateTime())


Measure = ColumnElement[float] | QueryableAttribute[float | None]
PERCENTS = (50, 90)
ALL = "*"


def spreads(
    session: Session,
    *,
    value: Measure,
    where: Sequence[ColumnElement[bool]],
    group: ColumnElement[str] | QueryableAttribute[str] | None = None,
) -> dict[str, Spread]:
    """Count, median and 90th percentile of `value` per `group`, and over all rows (key ALL),
    interpolated linearly between neighbours as SQL's percentile_cont does."""
    conditions = (*where, value.is_not(None))
    if session.get_bind().dialect.name == "postgresql":
        return _spreads_pg(session, value, conditions, group)
    out = _spreads_windowed(session, literal(ALL), value, conditions)
    if group is not None:
        out.update(_spreads_windowed(session, group, value, conditions))
    return out


def _spreads_pg(
    session: Session,
    value: Measure,
    where: Sequence[ColumnElement[bool]],
    group: ColumnElement[str] | QueryableAttribute[str] | None,
) -> dict[str, Spread]:
    measures = (
        func.count(value),
        *(func.percentile_cont(p / 100).within_group(value) for p in PERCENTS),
    )
    if group is None:
        n, p50, p90 = session.execute(select(*measures).where(*where)).one()
        return {ALL: _rounded(n, p50, p90)} if n else {}
    rows = session.execute(
        select(func.grouping(group), group, *measures)
        .where(*where)
        .group_by(func.grouping_sets(tuple_(group), tuple_()))
    )
    return {ALL if total else g: _rounded(n, p50, p90) for total, g, n, p50, p90 in rows if n}


def _rounded(n: int, p50: float, p90: float) -> Spread:
    return Spread(count=int(n), p50_seconds=round(float(p50), 3), p90_seconds=round(float(p90), 3))


def _spreads_windowed(
    session: Session,
    group: ColumnElement[str] | QueryableAttribute[str],
    value: Measure,
    where: Sequence[ColumnElement[bool]],
) -> dict[str, Spread]:
    """Window functions number the values per group and integer arithmetic picks the rows
    around each percentile, so at most four rows per group leave the database."""
    ranked = (
        select(
            group.label("g"),
            value.label("v"),
            func.row_number().over(partition_by=group, order_by=value).label("rn"),
            func.count().over(partition_by=group).label("n"),
        )
        .where(*where)
        .subquery()
    )
    r = ranked
    around = or_(
        *(
            and_(r.c.rn >= 1 + (p * (r.c.n - 1)) // 100, r.c.rn <= 2 + (p * (r.c.n - 1)) // 100)
            for p in PERCENTS
        )
    )
    rows = session.execute(
        select(r.c.g, r.c.v, r.c.rn.cast(Integer), r.c.n.cast(Integer)).where(around)
    ).all()
    picked: dict[str, dict[int, float]] = {}
    counts: dict[str, int] = {}
    for g, v, rn, n in rows:
        picked.setdefault(g, {})[rn] = float(v)
        counts[g] = n
    return {g: _interpolated(counts[g], picked[g]) for g in picked}


def _interpolated(n: int, values: dict[int, float]) -> Spread:
    out: list[float] = []
    for p in PERCENTS:
        lo = 1 + (p * (n - 1)) // 100
        fraction = (p * (n - 1)) % 100 / 100
        low = values[lo]
        high = values.get(lo + 1, low)
        out.append(low + fraction * (high - low))
    return _rounded(n, out[0], out[1])
