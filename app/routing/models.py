"""Working groups and dated routing rules, both editable by an administrator."""

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, new_id, utcnow


class WorkingGroup(Base):
    __tablename__ = "working_groups"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    note: Mapped[str | None] = mapped_column(Text)
    as_of: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sla_dispatch_hours: Mapped[int] = mapped_column(Integer, default=24)
    sla_ack_hours: Mapped[int] = mapped_column(Integer, default=72)


class RoutingRule(Base):
    """Area → working group from `valid_from` on; the newest rule in force wins, history stays."""

    __tablename__ = "routing_rules"
    __table_args__ = (Index("ix_routing_rules_area_valid_from", "area_id", "valid_from"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    area_id: Mapped[str] = mapped_column(String(40))
    working_group_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("working_groups.id", ondelete="RESTRICT")
    )
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
