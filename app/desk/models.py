"""Desk tables: officers' reviews of a request's triage and the background model jobs; and the
indexes on assistance_requests that the queue and the similar-requests panel read through."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, new_id, utcnow
from app.intake.models import AssistanceRequest


class ReviewAction(StrEnum):
    CONFIRM = "confirm"
    CORRECT = "correct"
    OUT_OF_SCOPE = "out_of_scope"
    DUPLICATE = "duplicate"


class Review(Base):
    """One officer's decision on a request's labels, with the labels before and after it and
    the model's own labels, so override rates compare the officer with the model."""

    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint(
            "action IN ('confirm', 'correct', 'out_of_scope', 'duplicate')", name="action"
        ),
        Index("ix_reviews_request_id_created_at", "request_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    request_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("assistance_requests.id", ondelete="CASCADE")
    )
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    reviewer: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(8))
    model_version: Mapped[str | None] = mapped_column(String(80))
    model_decision: Mapped[str | None] = mapped_column(String(20))
    # The model's primary area (None when it said out of scope): override rates group by it.
    model_area: Mapped[str | None] = mapped_column(String(40))
    model_labels: Mapped[dict[str, Any]] = mapped_column(JSON)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    overridden: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class DeskJob(Base):
    """A `triage train|evaluate|promote` run started from the model page, in its own process;
    the runner writes its progress here so any api replica can show it."""

    __tablename__ = "desk_jobs"
    __table_args__ = (
        CheckConstraint("kind IN ('train', 'evaluate', 'promote')", name="kind"),
        CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value, index=True)
    step: Mapped[str | None] = mapped_column(String(200))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    output: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# The queue's default view ("open" requests, needs-review first, oldest first) and the
# "same theme, same region" panel read assistance_requests through these.
QUEUE_INDEXES = (
    Index(
        "ix_assistance_requests_primary_area_received",
        AssistanceRequest.primary_area,
        AssistanceRequest.received_at,
    ),
)
