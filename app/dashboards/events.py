"""Figures timed by events inside a period: assignments moving on, SLA deadlines falling due,
officers' reviews, and the backlog waiting for review at the period's end."""

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, literal, or_, select
from sqlalchemy.orm import QueryableAttribute, Session

from app.dashboards.schemas import EventFigures, GroupEvents, ReviewTally, Spread
from app.dashboards.sql import ALL, seconds_between, spreads
from app.desk.models import Review
from app.dispatch import sla
from app.dispatch.models import Assignment, AssignmentStatus
from app.intake.models import AssistanceRequest, RequestStatus

Clock = QueryableAttribute[datetime] | QueryableAttribute[datetime | None]
# SQLite measures durations through julianday floats; a millisecond absorbs their rounding.
TOLERANCE_SECONDS = 0.001
ADDITIVE = (
    "assigned", "dispatched", "acknowledged", "completed", "declined", "dispatch_sla_breaches",
    "ack_sla_breaches",
)  # fmt: skip


def _between(column: Clock, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def _per_group(session: Session, column: Clock, start: datetime, end: datetime) -> dict[str, int]:
    rows = session.execute(
        select(Assignment.working_group_id, func.count())
        .where(_between(column, start, end))
        .group_by(Assignment.working_group_id)
    )
    return {group: int(n) for group, n in rows}


def _due_in(
    clock: Clock,
    hours: dict[str, int],
    default: int,
    start: datetime,
    end: datetime,
) -> ColumnElement[bool]:
    """Deadlines `clock + limit` inside [start, end), with each group's own limit, as plain
    timestamp ranges (exact on both backends)."""
    parts = [
        and_(
            Assignment.working_group_id == group,
            clock >= start - timedelta(hours=h),
            clock < end - timedelta(hours=h),
        )
        for group, h in hours.items()
    ]
    parts.append(
        and_(
            Assignment.working_group_id.not_in(list(hours)) if hours else literal(True),
            clock >= start - timedelta(hours=default),
            clock < end - timedelta(hours=default),
        )
    )
    return or_(*parts)


def _breaches(
    session: Session,
    *,
    clock: Clock,
    done: Clock,
    hours: dict[str, int],
    default: int,
    start: datetime,
    end: datetime,
) -> dict[str, int]:
    """Per group, deadlines falling due in [start, end) that were missed: the step was not
    done by the deadline (it came later, or has not come yet)."""
    late_by_group = [
        and_(
            Assignment.working_group_id == g,
            seconds_between(done, clock) > h * 3600 + TOLERANCE_SECONDS,
        )
        for g, h in hours.items()
    ]
    late_by_group.append(
        and_(
            Assignment.working_group_id.not_in(list(hours)) if hours else literal(True),
            seconds_between(done, clock) > default * 3600 + TOLERANCE_SECONDS,
        )
    )
    rows = session.execute(
        select(Assignment.working_group_id, func.count())
        .where(
            # One plain range first (it can use an index), then each group's own window.
            clock >= start - timedelta(hours=max([default, *hours.values()])),
            clock < end,
            _due_in(clock, hours, default, start, end),
            or_(done.is_(None), *late_by_group),
        )
        .group_by(Assignment.working_group_id)
    )
    return {group: int(n) for group, n in rows}


def _spreads(
    session: Session, *, clock: Clock, done: Clock, start: datetime, end: datetime
) -> dict[str, Spread]:
    return spreads(
        session,
        value=seconds_between(done, clock),
        where=(_between(done, start, end), clock.is_not(None)),
        group=Assignment.working_group_id,
    )


def _reviews(session: Session, start: datetime, end: datetime, figures: EventFigures) -> None:
    rows = session.execute(
        select(Review.action, Review.overridden, Review.model_area, Review.language, func.count())
        .where(_between(Review.created_at, start, end))
        .group_by(Review.action, Review.overridden, Review.model_area, Review.language)
    )
    for action, overridden, area, language, n in rows:
        figures.reviews_by_action[action] = figures.reviews_by_action.get(action, 0) + n
        for key, tallies in (
            (area or "", figures.reviews_by_area),
            (language or "", figures.reviews_by_language),
        ):
            tally = tallies.setdefault(key, ReviewTally())
            tally.reviews += n
            tally.overridden += n if overridden else 0


def backlog(session: Session, *, at: datetime, now: datetime) -> int:
    """Requests waiting for an officer's first decision at `at`.

    Now: those whose status is needs_review. Earlier: those the model sent to review that
    arrived before `at`, less those an officer had decided before `at` (every desk decision
    records a review, and a request leaves needs_review only through one).
    """
    if at >= now:
        return int(
            session.scalar(
                select(func.count())
                .select_from(AssistanceRequest)
                .where(AssistanceRequest.status == RequestStatus.NEEDS_REVIEW.value)
            )
            or 0
        )
    arrived = session.scalar(
        select(func.count())
        .select_from(AssistanceRequest)
        .where(AssistanceRequest.decision == "needs_review", AssistanceRequest.received_at < at)
    )
    decided = session.scalar(
        select(func.count(func.distinct(Review.request_id))).where(
            Review.model_decision == "needs_review", Review.created_at < at
        )
    )
    return int(arrived or 0) - int(decided or 0)


def counts(session: Session, *, start: datetime, end: datetime, now: datetime) -> EventFigures:
    """The additive event figures of [start, end) as known at `now`: steps taken, deadlines
    missed, reviews made (no percentiles, no backlog). Reads only."""
    horizon = min(end, now)
    figures = EventFigures()
    groups: dict[str, GroupEvents] = {}

    def group(g: str) -> GroupEvents:
        return groups.setdefault(g, GroupEvents())

    for field, column in (
        ("assigned", Assignment.created_at),
        ("dispatched", Assignment.dispatched_at),
        ("acknowledged", Assignment.acknowledged_at),
    ):
        for g, n in _per_group(session, column, start, end).items():
            setattr(group(g), field, n)
    closed = session.execute(
        select(Assignment.working_group_id, Assignment.status, func.count())
        .where(
            _between(Assignment.closed_at, start, end),
            Assignment.status.in_([AssignmentStatus.COMPLETED, AssignmentStatus.DECLINED]),
        )
        .group_by(Assignment.working_group_id, Assignment.status)
    )
    for g, status, n in closed:
        setattr(group(g), status, n)
    limits = sla.limits(session)
    default = sla.DEFAULT_LIMITS
    for field, clock, done, hours, fallback in (
        ("dispatch_sla_breaches", Assignment.created_at, Assignment.dispatched_at,
         {g: lim.dispatch_hours for g, lim in limits.items()}, default.dispatch_hours),
        ("ack_sla_breaches", Assignment.dispatched_at, Assignment.acknowledged_at,
         {g: lim.ack_hours for g, lim in limits.items()}, default.ack_hours),
    ):  # fmt: skip
        found = _breaches(
            session, clock=clock, done=done, hours=hours, default=fallback, start=start,
            end=horizon,
        )  # fmt: skip
        for g, n in found.items():
            setattr(group(g), field, n)
    _reviews(session, start, end, figures)
    figures.groups = dict(sorted(groups.items()))
    return figures


def add_spreads(session: Session, figures: EventFigures, *, start: datetime, end: datetime) -> None:
    """Set the times to dispatch and to acknowledgement of steps taken in [start, end)."""
    for field, clock, done in (
        ("to_dispatch", Assignment.created_at, Assignment.dispatched_at),
        ("to_acknowledgement", Assignment.dispatched_at, Assignment.acknowledged_at),
    ):
        for g, spread in _spreads(session, clock=clock, done=done, start=start, end=end).items():
            if g == ALL:
                setattr(figures, field, spread)
            else:
                setattr(figures.groups.setdefault(g, GroupEvents()), field, spread)
    figures.groups = dict(sorted(figures.groups.items()))


def merge(first: EventFigures, second: EventFigures) -> EventFigures:
    """The additive figures of two adjacent periods together (times and backlog left out)."""
    out = EventFigures()
    for part in (first, second):
        for g, events in part.groups.items():
            total = out.groups.setdefault(g, GroupEvents())
            for field in ADDITIVE:
                setattr(total, field, getattr(total, field) + getattr(events, field))
        for action, n in part.reviews_by_action.items():
            out.reviews_by_action[action] = out.reviews_by_action.get(action, 0) + n
        for mine, theirs in ((out.reviews_by_area, part.reviews_by_area),
                             (out.reviews_by_language, part.reviews_by_language)):  # fmt: skip
            for key, tally in theirs.items():
                into = mine.setdefault(key, ReviewTally())
                into.reviews += tally.reviews
                into.overridden += tally.overridden
    out.groups = dict(sorted(out.groups.items()))
    return out


def compute(session: Session, *, start: datetime, end: datetime, now: datetime) -> EventFigures:
    """Every event figure of [start, end) as known at `now` (reads only)."""
    figures = counts(session, start=start, end=end, now=now)
    add_spreads(session, figures, start=start, end=end)
    figures.backlog_at_end = backlog(session, at=end, now=now)
    return figures
