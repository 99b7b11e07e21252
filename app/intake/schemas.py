"""Pydantic shapes of the portal API: what a portal sends and what it reads back."""

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

LanguageCode = Literal["ar", "zh", "en", "fr", "ru", "es"]
# C0 controls other than tab, newline and carriage return, DEL, and C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _no_control_characters(value: str | None) -> str | None:
    if value is not None and _CONTROL.search(value):
        raise ValueError("must not contain NUL or other control characters")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


CleanText = Annotated[str, AfterValidator(_no_control_characters)]
BodyText = Annotated[
    str,
    Field(min_length=1, max_length=20_000),
    AfterValidator(_no_control_characters),
    AfterValidator(_not_blank),
]
StateCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]

_EXAMPLE_BODY = (
    "The Ministry of Justice requests UNODC assistance to train 30 prosecutors and "
    "investigating judges on the prosecution of returning foreign terrorist fighters, "
    "including the use of battlefield evidence, in line with Security Council resolution 2396."
)


class AssistanceRequestCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Training on the prosecution of returning foreign terrorist fighters",
                    "body": _EXAMPLE_BODY,
                    "requesting_state": "NGA",
                    "language": "en",
                    "contact": "Directorate of Public Prosecutions, Abuja",
                }
            ]
        },
    )

    body: BodyText = Field(description="The request text, up to 20,000 characters.")
    title: Annotated[CleanText | None, Field(max_length=500)] = None
    requesting_state: StateCode = Field(
        description="ISO 3166-1 alpha-3 code; must be the State the API key is bound to."
    )
    language: LanguageCode | None = Field(
        default=None, description="The sender's hint; stored, never trusted over detection."
    )
    contact: Annotated[CleanText | None, Field(max_length=500)] = None


class AreaScoreRead(BaseModel):
    id: str
    name: str
    score: float


class ParagraphScoreRead(BaseModel):
    number: int
    score: float


class TermRead(BaseModel):
    term: str
    weight: float


class ExplanationRead(BaseModel):
    area: str | None
    terms: list[TermRead]
    paragraph: int | None
    paragraph_summary: str | None
    notes: list[str] = []


class WorkingGroupRef(BaseModel):
    id: str
    name: str


class TriageRead(BaseModel):
    decision: Literal["auto_routed", "needs_review", "out_of_scope"]
    confidence: float = Field(ge=0, le=1)
    language: str | None
    areas: list[AreaScoreRead]
    paragraphs: list[ParagraphScoreRead]
    working_group: WorkingGroupRef | None
    explanation: ExplanationRead
    model_version: str


class AttachmentRead(BaseModel):
    id: str
    filename: str
    media_type: str
    size_bytes: int
    has_text_layer: bool


class AssistanceRequestRead(BaseModel):
    id: str
    reference: str
    status: str
    requesting_state: str
    title: str | None
    body: str
    contact: str | None
    language: str | None
    language_hint: str | None
    received_at: datetime
    review_reason: str | None
    attachments: list[AttachmentRead]
    triage: TriageRead | None


class AssistanceRequestPage(BaseModel):
    items: list[AssistanceRequestRead]
    next_cursor: str | None
