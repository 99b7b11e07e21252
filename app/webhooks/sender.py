"""Sending due webhook deliveries: lease them, POST them signed, log every attempt, and
schedule retries with exponential backoff and full jitter until the attempts run out."""

import json
import random
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.webhooks.egress import DestinationRefused, EgressPolicy
from app.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from app.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign

USER_AGENT = "ct-triage-webhooks/1"
# A leased delivery whose sender died is retried by any dispatcher after this long.
LEASE_MARGIN_SECONDS = 30


@dataclass(frozen=True)
class Policy:
    timeout: float
    max_attempts: int
    backoff_base: float
    backoff_max: float

    def retry_delay(self, attempt: int) -> float:
        """Full jitter: anywhere between 0 and base·2^(attempt-1), capped."""
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** max(0, min(attempt - 1, 30)))
        return random.uniform(0, ceiling)


@dataclass(frozen=True)
class Outgoing:
    delivery_id: uuid.UUID
    attempt: int
    url: str
    secret: str
    event: str
    body: bytes


@dataclass(frozen=True)
class Result:
    delivery_id: uuid.UUID
    attempt: int
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def body_for(delivery: WebhookDelivery) -> bytes:
    envelope: dict[str, Any] = {
        "id": str(delivery.id),
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def lease_due(session: Session, *, limit: int, policy: Policy) -> list[Outgoing]:
    """Take up to `limit` due deliveries for this sender and commit the lease."""
    now = utcnow()
    rows = session.execute(
        select(WebhookDelivery, WebhookSubscription)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= now
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    ).all()
    out = []
    for delivery, subscription in rows:
        if subscription.deleted_at is not None:
            delivery.status = DeliveryStatus.CANCELLED.value
            delivery.next_attempt_at = None
            continue
        delivery.attempts += 1
        delivery.next_attempt_at = now + timedelta(seconds=policy.timeout + LEASE_MARGIN_SECONDS)
        out.append(
            Outgoing(
                delivery.id,
                delivery.attempts,
                subscription.url,
                subscription.secret,
                delivery.event,
                body_for(delivery),
            )
        )
    session.commit()
    return out


def post(client: httpx.Client, item: Outgoing, egress: EgressPolicy) -> Result:
    started_at = utcnow()
    began = time.perf_counter()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: item.event,
        DELIVERY_HEADER: str(item.delivery_id),
        SIGNATURE_HEADER: sign(item.secret, item.body),
    }
    status: int | None = None
    error: str | None = None
    try:
        url, host, extensions = egress.pinned(item.url)
        response = client.post(
            url, content=item.body, headers={**headers, **host}, extensions=extensions
        )
        status = response.status_code
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except DestinationRefused as exc:
        error = f"refused: {exc}"[:500]
    except (httpx.HTTPError, OSError) as exc:  # OSError: the name did not resolve
        error = f"{type(exc).__name__}: {exc}"[:500]
    duration = int((time.perf_counter() - began) * 1000)
    return Result(item.delivery_id, item.attempt, started_at, duration, status, error)


def send_all(
    client: httpx.Client, items: Sequence[Outgoing], *, workers: int, egress: EgressPolicy
) -> list[Result]:
    if len(items) <= 1 or workers <= 1:
        return [post(client, item, egress) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(lambda item: post(client, item, egress), items))


def record(session: Session, results: Sequence[Result], *, policy: Policy) -> None:
    """Log each attempt and settle its delivery: delivered, retried later, or failed; commits."""
    if not results:
        return
    by_id = {
        d.id: d
        for d in session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.id.in_([r.delivery_id for r in results]))
            .with_for_update()
        )
    }
    now = utcnow()
    for result in results:
        delivery = by_id.get(result.delivery_id)
        if delivery is None:
            continue
        next_at: datetime | None = None
        if not result.ok and result.attempt < policy.max_attempts:
            next_at = now + timedelta(seconds=policy.retry_delay(result.attempt))
        # A replay or a deletion may have happened meanwhile: only the newest attempt settles.
        if delivery.attempts == result.attempt and delivery.status == DeliveryStatus.PENDING:
            if result.ok:
                delivery.status = DeliveryStatus.DELIVERED.value
                delivery.delivered_at = now
            elif next_at is None:
                delivery.status = DeliveryStatus.FAILED.value
            delivery.next_attempt_at = next_at
            delivery.last_status_code = result.status_code
            delivery.last_error = result.error
        session.add(
            WebhookAttempt(
                delivery_id=result.delivery_id,
                number=result.attempt,
                started_at=result.started_at,
                duration_ms=result.duration_ms,
                status_code=result.status_code,
                error=result.error,
                next_attempt_at=next_at,
            )
        )
    session.commit()
