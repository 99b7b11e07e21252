"""Keeping `dashboard_request_facts` current for a period, and reading label bits from it."""

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, and_, case, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.catalogue.loader import Catalogue
from app.dashboards.models import RequestFact
from app.dashboards.sql import seconds_between
from app.desk.models import Review
from app.intake.models import AssistanceRequest, RequestArea, RequestParagraph

PARAGRAPHS = 30
_COPIED = (
    "requesting_state",
    "language",
    "decision",
    "confidence",
    "status",
    "working_group_id",
)


def is_current(session: Session, start: datetime, end: datetime) -> bool:
    """Whether every request received in [start, end) has a current copy."""
    source = session.execute(
        select(func.count(), func.coalesce(func.sum(AssistanceRequest.version), 0)).where(
            AssistanceRequest.received_at >= start, AssistanceRequest.received_at < end
        )
    ).one()
    copied = session.execute(
        select(func.count(), func.coalesce(func.sum(RequestFact.version), 0)).where(
            RequestFact.received_at >= start, RequestFact.received_at < end
        )
    ).one()
    return tuple(source) == tuple(copied)


def _area_bits(catalogue: Catalogue) -> ColumnElement[int]:
    return case(
        {area_id: 1 << i for i, area_id in enumerate(catalogue.area_ids)},
        value=RequestArea.area_id,
        else_=0,
    )


def sync(session: Session, *, start: datetime, end: datetime, catalogue: Catalogue) -> None:
    """Copy the requests received in [start, end) whose copy is missing or older; flushes,
    never commits. One INSERT ... SELECT reads each request with its labels and reviews in
    one snapshot."""
    if is_current(session, start, end):
        return
    r = AssistanceRequest
    areas = (
        select(func.coalesce(func.sum(_area_bits(catalogue)), 0))
        .where(RequestArea.request_id == r.id)
        .scalar_subquery()
    )
    paragraph_bit = literal_column("1", Integer).op("<<")(RequestParagraph.number - 1)
    paragraphs = (
        select(func.coalesce(func.sum(paragraph_bit), 0))
        .where(
            RequestParagraph.request_id == r.id,
            RequestParagraph.number >= 1,
            RequestParagraph.number <= PARAGRAPHS,
        )
        .scalar_subquery()
    )
    first_review = (
        select(func.min(Review.created_at)).where(Review.request_id == r.id).scalar_subquery()
    )
    # Receipt to the model's routing, or to the first officer decision when it asked for one.
    triage_seconds = case(
        (r.decision == "needs_review", seconds_between(first_review, r.received_at)),
        else_=seconds_between(r.triaged_at, r.received_at),
    )
    source = (
        select(
            r.id,
            r.received_at,
            r.version,
            *(getattr(r, name) for name in _COPIED),
            triage_seconds,
            areas,
            paragraphs,
        )
        .outerjoin(RequestFact, RequestFact.request_id == r.id)
        .where(
            r.received_at >= start,
            r.received_at < end,
            or_(RequestFact.request_id.is_(None), RequestFact.version != r.version),
        )
        # One order for every writer, so concurrent refreshes cannot deadlock.
        .order_by(r.id)
    )
    columns = [
        "request_id",
        "received_at",
        "version",
        *_COPIED,
        "triage_seconds",
        "areas",
        "paragraphs",
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(RequestFact).from_select(columns, source)
    statement = statement.on_conflict_do_update(
        index_elements=[RequestFact.request_id],
        set_={name: statement.excluded[name] for name in columns[1:]},
        where=RequestFact.version < statement.excluded.version,
    )
    session.execute(statement)
    session.flush()


def in_period(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(RequestFact.received_at >= start, RequestFact.received_at < end)


def bits(mask: int) -> Iterator[int]:
    """The indexes of the set bits of a label set, lowest first."""
    index = 0
    while mask:
        if mask & 1:
            yield index
        mask >>= 1
        index += 1
