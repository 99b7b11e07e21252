"""The webhook API: a portal (portal key) or a working group (its key) manages its webhooks."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.deps import SettingsDep
from app.webhooks import service
from app.webhooks.deps import WebhookOwnerDep
from app.webhooks.schemas import (
    DeliveryList,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookRead,
)

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing, invalid or revoked key"},
    404: {"description": "no such webhook or delivery for this key"},
    422: {
        "description": "invalid input (only http and https URLs are accepted, and not to "
        "private, loopback or reserved addresses outside the allowed networks)"
    },
}


@router.post("", status_code=201, responses=ERRORS, summary="Register a webhook")
def create_webhook(
    body: WebhookCreate,
    session: SessionDep,
    owner: WebhookOwnerDep,
    settings: SettingsDep,
    response: Response,
) -> WebhookCreated:
    """Deliveries are POSTed as JSON with `X-Triage-Event`, `X-Triage-Delivery` (the same id on
    every retry) and `X-Triage-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
    "<t>.<raw body>" keyed with the secret>`. The secret is in this response only."""
    created = service.create(session, body, owner=owner, egress=settings.webhook_egress)
    response.headers["Location"] = f"/api/v1/webhooks/{created.id}"
    return created


@router.get("", responses=ERRORS, summary="List your webhooks")
def list_webhooks(session: SessionDep, owner: WebhookOwnerDep) -> WebhookList:
    return service.list_for(session, owner=owner)


@router.get("/{subscription_id}", responses=ERRORS, summary="Read one of your webhooks")
def get_webhook(subscription_id: str, session: SessionDep, owner: WebhookOwnerDep) -> WebhookRead:
    return service.get_for(session, subscription_id, owner=owner)


@router.delete("/{subscription_id}", status_code=204, responses=ERRORS, summary="Delete a webhook")
def delete_webhook(subscription_id: str, session: SessionDep, owner: WebhookOwnerDep) -> None:
    service.delete(session, subscription_id, owner=owner)


@router.get(
    "/{subscription_id}/deliveries", responses=ERRORS, summary="The webhook's newest deliveries"
)
def list_deliveries(
    subscription_id: str,
    session: SessionDep,
    owner: WebhookOwnerDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DeliveryList:
    return service.deliveries(session, subscription_id, owner=owner, limit=limit)


@router.get(
    "/deliveries/{delivery_id}", responses=ERRORS, summary="One delivery with its attempt log"
)
def get_delivery(delivery_id: str, session: SessionDep, owner: WebhookOwnerDep) -> DeliveryRead:
    return service.get_delivery(session, delivery_id, owner=owner)


@router.post(
    "/deliveries/{delivery_id}/replay",
    status_code=202,
    responses=ERRORS,
    summary="Send a delivery again",
)
def replay_delivery(delivery_id: str, session: SessionDep, owner: WebhookOwnerDep) -> DeliveryRead:
    """Queued at once with the same delivery id, so a receiver that already processed it can
    ignore it."""
    return service.replay(session, delivery_id, owner=owner)
