"""The transactional outbox, the per-working-group assignments it feeds, and the keys that
working groups use to consume them."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.audit.models import BigId
from app.db import Base, UTCDateTime, new_id, utcnow


class AssignmentStatus(StrEnum):
    PENDING = "pending"  # planned, not yet handed to the working group
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DECLINED = "declined"


class OutboxEntry(Base):
    """A message to publish after commit; the dispatcher marks it once published."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("request_id", "working_group_id", "topic"),
        Index("ix_outbox_pending", "published_at", "available_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("assistance_requests.id", ondelete="CASCADE")
    )
    working_group_id: Mapped[str] = mapped_column(String(40))
    topic: Mapped[str] = mapped_column(String(40), default="dispatch")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class Assignment(Base):
    """A request assigned to one working group, with its own status and clock.

    The database is the system of record; a Redis stream entry (`stream_entry_id`) is only
    the delivery channel. `claimed_by`/`claimed_until`/`delivery_count` mirror the stream's
    pending-entry list in Redis mode and are the queue itself in embedded mode.
    """

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("request_id", "working_group_id"),
        Index("ix_assignments_group_status", "working_group_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    request_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("assistance_requests.id", ondelete="CASCADE")
    )
    working_group_id: Mapped[str] = mapped_column(String(40))
    is_primary: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(20), default=AssignmentStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    stream_entry_id: Mapped[str | None] = mapped_column(String(40))
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    dead_lettered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WorkingGroupKey(Base):
    """An API key of a working group's coordination system; stored hashed like portal keys."""

    __tablename__ = "working_group_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    working_group_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("working_groups.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    key_prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
