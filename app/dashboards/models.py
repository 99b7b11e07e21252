"""Dashboard tables (a narrow copy of each request's reportable facts; the immutable figures
of closed months) and the indexes the dashboards read other domains' tables through."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow
from app.desk.models import Review
from app.dispatch.models import Assignment
from app.intake.models import AssistanceRequest


class RequestFact(Base):
    """What the dashboards group a request by, copied from the request, its labels and its
    reviews in one statement, with the request's `version` at the time of the copy.

    Versions only grow, so per period `count` and `sum(version)` equal on both sides mean
    every copy is current; `app.dashboards.facts.sync` refreshes the others before a read.
    Labels are bit sets: bit i of `areas` is the catalogue's i-th area, bit n-1 of
    `paragraphs` is operative paragraph n.
    """

    __tablename__ = "dashboard_request_facts"
    __table_args__ = (
        Index("ix_dashboard_request_facts_received_version", "received_at", "version"),
    )

    request_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("assistance_requests.id", ondelete="CASCADE"), primary_key=True
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer)
    requesting_state: Mapped[str] = mapped_column(String(3))
    language: Mapped[str | None] = mapped_column(String(8))
    decision: Mapped[str | None] = mapped_column(String(20))
    confidence: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20))
    working_group_id: Mapped[str | None] = mapped_column(String(40))
    # Receipt to triage: to the model's routing, or to the first officer decision when the
    # model asked for one (None while it waits).
    triage_seconds: Mapped[float | None] = mapped_column(Float)
    areas: Mapped[int] = mapped_column(Integer)
    paragraphs: Mapped[int] = mapped_column(Integer)


class MonthSnapshot(Base):
    """A month's event figures that cannot change any more: those of events timed before
    `until`. For a closed month `until` is its end and the figures are whole (times and the
    backlog at the end included); for the current month it is the start of the last day
    passed, and only the additive counts are kept."""

    __tablename__ = "dashboard_month_snapshots"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    format: Mapped[int] = mapped_column(Integer)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Range scans by time with every column the dashboards read in the index (index-only scans).
READ_INDEXES = (
    Index(
        "ix_assistance_requests_received_version",
        AssistanceRequest.received_at,
        AssistanceRequest.version,
        AssistanceRequest.id,
    ),
    Index(
        "ix_assistance_requests_decision_received",
        AssistanceRequest.decision,
        AssistanceRequest.received_at,
    ),
    Index(
        "ix_assignments_created_at_group",
        Assignment.created_at,
        Assignment.working_group_id,
        Assignment.dispatched_at,
    ),
    Index(
        "ix_assignments_dispatched_at_group",
        Assignment.dispatched_at,
        Assignment.working_group_id,
        Assignment.created_at,
        Assignment.acknowledged_at,
    ),
    Index(
        "ix_assignments_acknowledged_at_group",
        Assignment.acknowledged_at,
        Assignment.working_group_id,
        Assignment.dispatched_at,
    ),
    Index(
        "ix_assignments_closed_at_group",
        Assignment.closed_at,
        Assignment.working_group_id,
        Assignment.status,
    ),
    Index(
        "ix_reviews_created_at_decision",
        Review.created_at,
        Review.model_decision,
        Review.request_id,
        Review.action,
        Review.overridden,
        Review.model_area,
        Review.language,
    ),
)
