"""Pydantic shapes of the working-group API: the inbox, claims and transitions."""

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

ConsumerName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,80}$")]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _reason(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    if _CONTROL.search(value):
        raise ValueError("must not contain NUL or other control characters")
    return value.strip()


class SlaRead(BaseModel):
    dispatch_due_at: datetime
    ack_due_at: datetime | None
    time_to_dispatch_seconds: float | None
    time_to_ack_seconds: float | None
    dispatch_breached: bool = Field(description="dispatched (or still waiting) past its limit")
    ack_breached: bool = Field(description="acknowledged (or still waiting) past its limit")
    overdue: bool = Field(description="still waiting for a step whose limit has passed")


class AssignmentRead(BaseModel):
    id: str
    request_id: str
    reference: str
    requesting_state: str
    language: str | None
    areas: list[str]
    paragraphs: list[int]
    working_group: str
    primary: bool
    status: str
    created_at: datetime
    dispatched_at: datetime | None
    acknowledged_at: datetime | None
    started_at: datetime | None
    closed_at: datetime | None
    decline_reason: str | None
    claimed_by: str | None
    claimed_until: datetime | None
    delivery_count: int
    dead_lettered: bool
    overdue: bool
    sla: SlaRead


class AssignmentDetail(AssignmentRead):
    title: str | None
    body: str


class AssignmentPage(BaseModel):
    items: list[AssignmentRead]
    next_cursor: str | None


class ClaimCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consumer: ConsumerName = Field(
        description="Your worker's name; entries it does not acknowledge within the visibility "
        "timeout go to the next claim, and to the dead letters after too many deliveries."
    )
    count: int = Field(default=10, ge=1, le=100)
    visibility_timeout: float | None = Field(
        default=None, ge=0.1, le=86_400, description="seconds; the service default when omitted"
    )


class ClaimRead(BaseModel):
    items: list[AssignmentRead]
    dead_lettered: int = Field(description="entries moved to the dead letters by this claim")


class DeclineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_reason)]
