"""Tables for assistance requests, their current labels, attachments and reference counters."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, new_id, utcnow


class RequestStatus(StrEnum):
    RECEIVED = "received"
    TRIAGED = "triaged"
    NEEDS_REVIEW = "needs_review"
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DECLINED = "declined"
    OUT_OF_SCOPE = "out_of_scope"
    DUPLICATE = "duplicate"


_STATUSES = ", ".join(f"'{s.value}'" for s in RequestStatus)


class AssistanceRequest(Base):
    __tablename__ = "assistance_requests"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="status"),
        UniqueConstraint("portal_client_id", "idempotency_key"),
        Index("ix_assistance_requests_state_received", "requesting_state", "received_at", "id"),
        Index("ix_assistance_requests_status_received", "status", "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    requesting_state: Mapped[str] = mapped_column(String(3))
    portal_client_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("portal_clients.id", ondelete="RESTRICT")
    )
    title: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str | None] = mapped_column(String(8))
    language_hint: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20), default=RequestStatus.RECEIVED.value)
    review_reason: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision: Mapped[str | None] = mapped_column(String(20))
    confidence: Mapped[float | None] = mapped_column(Float)
    # Indexed with received_at (the desk's QUEUE_INDEXES), which serves it alone as well.
    primary_area: Mapped[str | None] = mapped_column(String(40))
    working_group_id: Mapped[str | None] = mapped_column(String(40), index=True)
    current_triage_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    duplicate_of_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("assistance_requests.id", ondelete="RESTRICT")
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    idempotency_fingerprint: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class RequestArea(Base):
    """The request's current thematic areas (the model's, or an officer's correction)."""

    __tablename__ = "request_areas"

    request_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("assistance_requests.id", ondelete="CASCADE"), primary_key=True
    )
    area_id: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
    rank: Mapped[int] = mapped_column(Integer)


class RequestParagraph(Base):
    """The request's current operative paragraphs of resolution 2019/21."""

    __tablename__ = "request_paragraphs"

    request_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("assistance_requests.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    rank: Mapped[int] = mapped_column(Integer)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    request_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("assistance_requests.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    has_text_layer: Mapped[bool]
    extracted_text: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReferenceCounter(Base):
    """The last reference number handed out per year (TA-YYYY-NNNNNN)."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
