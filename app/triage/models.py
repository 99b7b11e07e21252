"""Append-only triage results and the registry of model versions."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, new_id, utcnow


class TriageResult(Base):
    """One classification of one request: never updated, a re-triage adds a row."""

    __tablename__ = "triage_results"
    __table_args__ = (Index("ix_triage_results_request_id_created_at", "request_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    request_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("assistance_requests.id", ondelete="CASCADE")
    )
    model_version: Mapped[str] = mapped_column(String(80))
    decision: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[float] = mapped_column(Float)
    scope_score: Mapped[float | None] = mapped_column(Float)
    language: Mapped[str | None] = mapped_column(String(8))
    areas: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    paragraphs: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    working_group_id: Mapped[str | None] = mapped_column(String(40))
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModelVersion(Base):
    """A trained model artefact; exactly one row is active at a time."""

    __tablename__ = "model_versions"

    version: Mapped[str] = mapped_column(String(80), primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    card: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    validation_top1: Mapped[float | None] = mapped_column(Float)


class TrainingExample(Base):
    """A labelled example from a desk officer's confirmation or correction of a request."""

    __tablename__ = "training_examples"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    request_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("assistance_requests.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str | None] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    areas: Mapped[list[str]] = mapped_column(JSON)
    paragraphs: Mapped[list[int]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
