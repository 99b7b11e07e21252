"""Webhook use cases: subscriptions of one owner (a portal client or a working group), queueing
deliveries in the caller's transaction, reading the delivery log, and replaying a delivery."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.db import utcnow
from app.errors import InvalidInput, NotFound
from app.webhooks.egress import EgressPolicy
from app.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from app.webhooks.schemas import (
    GROUP_EVENTS,
    PORTAL_EVENTS,
    AttemptRead,
    DeliveryList,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookOwnerRead,
    WebhookRead,
)
from app.webhooks.signing import new_secret

MAX_SUBSCRIPTIONS_PER_OWNER = 20


class WebhookNotFound(NotFound):
    code = "not_found"


@dataclass(frozen=True)
class WebhookOwner:
    kind: Literal["portal", "working_group"]
    id: str
    label: str

    @property
    def events(self) -> tuple[str, ...]:
        return PORTAL_EVENTS if self.kind == "portal" else GROUP_EVENTS

    def owns(self) -> ColumnElement[bool]:
        if self.kind == "portal":
            return WebhookSubscription.portal_client_id == uuid.UUID(self.id)
        return WebhookSubscription.working_group_id == self.id


def _parse(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _read(row: WebhookSubscription) -> WebhookRead:
    if row.portal_client_id is not None:
        owner = WebhookOwnerRead(kind="portal", id=str(row.portal_client_id))
    else:
        owner = WebhookOwnerRead(kind="working_group", id=str(row.working_group_id))
    return WebhookRead(
        id=str(row.id),
        url=row.url,
        events=list(row.events),
        description=row.description,
        owner=owner,
        created_at=row.created_at,
    )


def _audit(session: Session, owner: WebhookOwner, action: str, details: dict[str, Any]) -> None:
    audit.record(
        session,
        action=action,
        actor_type=owner.kind,
        actor_id=owner.id[:80],
        actor_label=owner.label[:200],
        details=details,
    )


def create(
    session: Session, body: WebhookCreate, *, owner: WebhookOwner, egress: EgressPolicy
) -> WebhookCreated:
    """Register a URL for the owner's events; the secret is returned here and never again.
    A URL naming a refused address is refused now; a name is checked at each send."""
    refusal = egress.literal_refusal(body.url)
    if refusal is not None:
        raise InvalidInput(refusal, field="url")
    events = sorted(set(body.events or owner.events))
    unknown = [e for e in events if e not in owner.events]
    if unknown:
        raise InvalidInput(
            f"unknown events {', '.join(unknown)}; this key may subscribe to "
            f"{', '.join(owner.events)}",
            field="events",
        )
    existing = session.scalars(
        select(WebhookSubscription.id).where(owner.owns(), WebhookSubscription.deleted_at.is_(None))
    ).all()
    if len(existing) >= MAX_SUBSCRIPTIONS_PER_OWNER:
        raise InvalidInput(f"at most {MAX_SUBSCRIPTIONS_PER_OWNER} webhooks per key", field="url")
    row = WebhookSubscription(
        portal_client_id=uuid.UUID(owner.id) if owner.kind == "portal" else None,
        working_group_id=owner.id if owner.kind == "working_group" else None,
        url=body.url,
        secret=new_secret(),
        events=events,
        description=body.description,
    )
    session.add(row)
    session.flush()
    _audit(
        session,
        owner,
        "webhook.created",
        {"subscription_id": str(row.id), "url": row.url, "events": events},
    )
    session.commit()
    return WebhookCreated(**_read(row).model_dump(), secret=row.secret)


def list_for(session: Session, *, owner: WebhookOwner) -> WebhookList:
    rows = session.scalars(
        select(WebhookSubscription)
        .where(owner.owns(), WebhookSubscription.deleted_at.is_(None))
        .order_by(WebhookSubscription.created_at)
    )
    return WebhookList(items=[_read(r) for r in rows])


def _owned(session: Session, subscription_id: str, owner: WebhookOwner) -> WebhookSubscription:
    parsed = _parse(subscription_id)
    row = (
        session.scalar(
            select(WebhookSubscription).where(
                WebhookSubscription.id == parsed,
                owner.owns(),
                WebhookSubscription.deleted_at.is_(None),
            )
        )
        if parsed
        else None
    )
    if row is None:
        raise WebhookNotFound("no such webhook")
    return row


def get_for(session: Session, subscription_id: str, *, owner: WebhookOwner) -> WebhookRead:
    return _read(_owned(session, subscription_id, owner))


def delete(session: Session, subscription_id: str, *, owner: WebhookOwner) -> None:
    """Stop a webhook: nothing more is queued for it and its pending deliveries are cancelled."""
    row = _owned(session, subscription_id, owner)
    now = utcnow()
    row.deleted_at = now
    session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == row.id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.CANCELLED.value, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    _audit(session, owner, "webhook.deleted", {"subscription_id": str(row.id)})
    session.commit()


def _delivery_read(row: WebhookDelivery, log: Iterable[WebhookAttempt] = ()) -> DeliveryRead:
    return DeliveryRead(
        id=str(row.id),
        subscription_id=str(row.subscription_id),
        event=row.event,
        request_id=str(row.request_id) if row.request_id else None,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        log=[
            AttemptRead(
                number=a.number,
                started_at=a.started_at,
                duration_ms=a.duration_ms,
                status_code=a.status_code,
                error=a.error,
                next_attempt_at=a.next_attempt_at,
            )
            for a in log
        ],
    )


def deliveries(
    session: Session, subscription_id: str, *, owner: WebhookOwner, limit: int
) -> DeliveryList:
    """The subscription's newest deliveries (without their attempt logs)."""
    row = _owned(session, subscription_id, owner)
    rows = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == row.id)
        .order_by(WebhookDelivery.created_at.desc())
        .limit(limit)
    )
    return DeliveryList(items=[_delivery_read(r) for r in rows])


def _owned_delivery(session: Session, delivery_id: str, owner: WebhookOwner) -> WebhookDelivery:
    parsed = _parse(delivery_id)
    row = (
        session.scalar(
            select(WebhookDelivery)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(WebhookDelivery.id == parsed, owner.owns())
            .with_for_update(of=WebhookDelivery)
        )
        if parsed
        else None
    )
    if row is None:
        raise WebhookNotFound("no such delivery")
    return row


def _log(session: Session, delivery_id: uuid.UUID) -> list[WebhookAttempt]:
    return list(
        session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.id)
        )
    )


def get_delivery(session: Session, delivery_id: str, *, owner: WebhookOwner) -> DeliveryRead:
    row = _owned_delivery(session, delivery_id, owner)
    read = _delivery_read(row, _log(session, row.id))
    session.commit()
    return read


def replay(session: Session, delivery_id: str, *, owner: WebhookOwner) -> DeliveryRead:
    """Send a delivery again, with the same id, as soon as a dispatcher is free; a pending one
    is left as it is. A replay starts a new series of attempts; the log keeps the old ones."""
    row = _owned_delivery(session, delivery_id, owner)
    subscription = session.get(WebhookSubscription, row.subscription_id)
    if subscription is None or subscription.deleted_at is not None:
        raise WebhookNotFound("no such delivery")
    if row.status != DeliveryStatus.PENDING:
        row.status = DeliveryStatus.PENDING.value
        row.attempts = 0
        row.next_attempt_at = utcnow()
        _audit(session, owner, "webhook.replayed", {"delivery_id": str(row.id)})
    session.flush()
    read = _delivery_read(row, _log(session, row.id))
    session.commit()
    return read


class Fanout:
    """Queues deliveries for the owners' subscriptions in the caller's transaction."""

    def __init__(
        self,
        session: Session,
        *,
        portal_client_ids: Iterable[uuid.UUID | None] = (),
        working_group_ids: Iterable[str] = (),
    ) -> None:
        self.session = session
        portals = {p for p in portal_client_ids if p is not None}
        groups = set(working_group_ids)
        conditions = []
        if portals:
            conditions.append(WebhookSubscription.portal_client_id.in_(portals))
        if groups:
            conditions.append(WebhookSubscription.working_group_id.in_(groups))
        self.subscriptions = (
            list(
                session.scalars(
                    select(WebhookSubscription).where(
                        WebhookSubscription.deleted_at.is_(None), or_(*conditions)
                    )
                )
            )
            if conditions
            else []
        )
        self.queued = 0

    def emit(
        self,
        *,
        event: str,
        payload: dict[str, Any],
        request_id: uuid.UUID | None = None,
        portal_client_id: uuid.UUID | None = None,
        working_group_id: str | None = None,
    ) -> None:
        for sub in self.subscriptions:
            mine = (portal_client_id is not None and sub.portal_client_id == portal_client_id) or (
                working_group_id is not None and sub.working_group_id == working_group_id
            )
            if mine and event in sub.events:
                self.session.add(
                    WebhookDelivery(
                        subscription_id=sub.id, event=event, request_id=request_id, payload=payload
                    )
                )
                self.queued += 1
