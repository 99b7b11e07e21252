"""What /metrics reports about work waiting (outbox, review, streams, dead letters, SLA clocks,
webhooks), computed at scrape time; and the dispatcher with its counters."""

from typing import Any

import httpx
import redis
from fastapi import Request
from prometheus_client import Gauge
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.dispatch import sla
from app.dispatch.dispatcher import Dispatcher
from app.dispatch.models import Assignment, AssignmentStatus, OutboxEntry
from app.dispatch.streams import CONSUMER_GROUP, stream_name
from app.intake.models import AssistanceRequest, RequestStatus
from app.metrics import (
    BACKLOG,
    DEAD_LETTERS,
    OLDEST_AGE,
    OUTBOX_PUBLISHED,
    SLA_OVERDUE,
    STREAM_LENGTH,
    STREAM_PENDING,
    WEBHOOK_ATTEMPTS,
    WEBHOOK_DELIVERIES,
    GaugeSource,
)
from app.routing import service as routing_service
from app.webhooks.models import DeliveryStatus, WebhookDelivery

Values = dict[tuple[str, ...], float]


def _session(request: Request) -> Session:
    session: Session = request.app.state.sessionmaker()
    return session


def _outbox(request: Request) -> Values:
    with _session(request) as session:
        count, oldest = session.execute(
            select(func.count(), func.min(OutboxEntry.created_at)).where(
                OutboxEntry.published_at.is_(None)
            )
        ).one()
    age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    OLDEST_AGE.labels("outbox").set(age)
    return {("outbox",): float(count)}


def _needs_review(request: Request) -> Values:
    with _session(request) as session:
        count = session.scalar(
            select(func.count())
            .select_from(AssistanceRequest)
            .where(AssistanceRequest.status == RequestStatus.NEEDS_REVIEW.value)
        )
    return {("needs_review",): float(count or 0)}


def _group_ids(session: Session) -> list[str]:
    return [g.id for g in routing_service.working_groups(session)]


def _dead_letters(request: Request) -> Values:
    # The condition of `dispatch.inbox.dead_letters`, counted in SQL rather than read row by row.
    with _session(request) as session:
        values: Values = {(g,): 0.0 for g in _group_ids(session)}
        rows = session.execute(
            select(Assignment.working_group_id, func.count())
            .where(
                Assignment.dead_lettered_at.is_not(None),
                Assignment.status == AssignmentStatus.DISPATCHED,
            )
            .group_by(Assignment.working_group_id)
        )
        for group, count in rows:
            values[(group,)] = float(count)
    return values


def _sla_overdue(request: Request) -> Values:
    with _session(request) as session:
        limits = sla.limits(session)
        values: Values = {
            (g, waiting): 0.0 for g in limits for waiting in ("dispatch", "acknowledgement")
        }
        rows = session.execute(
            select(Assignment.working_group_id, Assignment.status, func.count())
            .where(sla.overdue_condition(limits, now=utcnow()))
            .group_by(Assignment.working_group_id, Assignment.status)
        )
        for group, status, count in rows:
            waiting = "dispatch" if status == AssignmentStatus.PENDING else "acknowledgement"
            values[(group, waiting)] = float(count)
    return values


def _webhook_deliveries(request: Request) -> Values:
    failed = WebhookDelivery.status == DeliveryStatus.FAILED
    retrying = and_(
        WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.last_error.is_not(None)
    )
    with _session(request) as session:
        row = session.execute(
            select(
                func.count().filter(failed),
                func.count().filter(retrying),
            ).where(or_(failed, retrying))
        ).one()
    return {("failed",): float(row[0]), ("retrying",): float(row[1])}


def _streams(request: Request) -> tuple[Values, Values]:
    client: redis.Redis | None = request.app.state.redis
    if client is None:
        return {}, {}
    with _session(request) as session:
        groups = _group_ids(session)
    pipe = client.pipeline(transaction=False)
    for group in groups:
        pipe.xpending(stream_name(group), CONSUMER_GROUP)
        pipe.xlen(stream_name(group))
    replies: list[Any] = pipe.execute(raise_on_error=False)
    pending: Values = {}
    length: Values = {}
    for index, group in enumerate(groups):
        summary, size = replies[2 * index], replies[2 * index + 1]
        if isinstance(summary, redis.ConnectionError | redis.TimeoutError):
            raise summary
        # NOGROUP: no request was ever published to this group, so nothing is pending.
        pending[(group,)] = 0.0 if isinstance(summary, Exception) else float(summary["pending"])
        length[(group,)] = 0.0 if isinstance(size, Exception) else float(size)
    return pending, length


def _stream_pending(request: Request) -> Values:
    pending, length = _streams(request)
    for labels, value in length.items():
        STREAM_LENGTH.labels(*labels).set(value)
    return pending


def default_sources() -> list[tuple[Gauge, GaugeSource]]:
    return [
        (BACKLOG, _outbox),
        (BACKLOG, _needs_review),
        (DEAD_LETTERS, _dead_letters),
        (SLA_OVERDUE, _sla_overdue),
        (WEBHOOK_DELIVERIES, _webhook_deliveries),
        (STREAM_PENDING, _stream_pending),
    ]


class CountingTransport(httpx.BaseTransport):
    """Counts every webhook POST by outcome on its way through the HTTP transport."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError:
            WEBHOOK_ATTEMPTS.labels("unreachable").inc()
            raise
        WEBHOOK_ATTEMPTS.labels("delivered" if response.is_success else "rejected").inc()
        return response

    def close(self) -> None:
        self.inner.close()


class MeteredDispatcher(Dispatcher):
    """The dispatcher, counting the outbox rows it publishes and the webhooks it sends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain = self.http
        self.http = httpx.Client(
            timeout=plain.timeout,
            follow_redirects=plain.follow_redirects,
            headers=plain.headers,
            transport=CountingTransport(httpx.HTTPTransport()),
        )
        plain.close()

    def dispatch_once(self) -> int:
        published = super().dispatch_once()
        OUTBOX_PUBLISHED.inc(published)
        return published
