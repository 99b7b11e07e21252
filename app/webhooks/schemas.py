"""Pydantic shapes of the webhook API: subscriptions, their deliveries and attempts."""

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

PORTAL_EVENTS = (
    "request.dispatched",
    "request.acknowledged",
    "request.completed",
    "request.declined",
)
GROUP_EVENTS = ("assignment.dispatched",)


def _http_url(value: str) -> str:
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError("not a valid URL") from exc
    if parts.scheme not in ("http", "https"):
        raise ValueError("only http and https URLs are accepted")
    if not parts.hostname:
        raise ValueError("the URL needs a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("put credentials in the signature secret, not in the URL")
    if port == 0:
        raise ValueError("not a valid port")
    if any(ch.isspace() or ord(ch) < 32 for ch in value.strip()):
        raise ValueError("the URL must not contain spaces or control characters")
    return value.strip()


WebhookUrl = Annotated[str, Field(min_length=8, max_length=2000), AfterValidator(_http_url)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://portal.example.org/hooks/unodc-triage",
                    "events": ["request.dispatched", "request.completed"],
                    "description": "status callbacks to the national portal",
                }
            ]
        },
    )

    url: WebhookUrl = Field(description="http or https URL that receives signed POSTs")
    events: list[str] | None = Field(
        default=None,
        max_length=10,
        description="Events to receive; all of the owner's events when omitted. Portals: "
        + ", ".join(PORTAL_EVENTS)
        + ". Working groups: "
        + ", ".join(GROUP_EVENTS)
        + ".",
    )
    description: Annotated[str | None, Field(max_length=200)] = None


class WebhookOwnerRead(BaseModel):
    kind: Literal["portal", "working_group"]
    id: str


class WebhookRead(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str | None
    owner: WebhookOwnerRead
    created_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(description="Shown once: verify X-Triage-Signature with it.")


class WebhookList(BaseModel):
    items: list[WebhookRead]


class AttemptRead(BaseModel):
    number: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    next_attempt_at: datetime | None


class DeliveryRead(BaseModel):
    id: str
    subscription_id: str
    event: str
    request_id: str | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    log: list[AttemptRead] = []


class DeliveryList(BaseModel):
    items: list[DeliveryRead]
