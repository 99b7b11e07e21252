"""Prometheus metrics: HTTP traffic and its access log, triage decisions, gauges read at scrape
time, the dispatcher's counters, and the multiprocess directory of `triage serve --workers N`."""

import hmac
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import Unauthenticated

HTTP_REQUESTS = Counter(
    "triage_http_requests_total",
    "HTTP requests by route template and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "triage_http_request_duration_seconds",
    "HTTP request duration by route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DECISIONS = Counter(
    "triage_decisions_total",
    "Triage decisions by decision, top area and detected language",
    ["decision", "area", "language"],
)
CLASSIFICATION_SECONDS = Histogram(
    "triage_classification_seconds",
    "Time to classify one request",
    buckets=(0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
DASHBOARD_READS = Counter(
    "triage_dashboard_reads_total",
    "Dashboard reads by where their figures came from: replica, or primary (no replica "
    "configured, or it lagged)",
    ["source"],
)
# Gauges derived from the database or Redis at scrape time. With several worker processes the
# one answering the scrape sets them just before it collects: "mostrecent" reports that value
# once, without a pid label, whichever workers have died or been replaced since.
BACKLOG = Gauge("triage_backlog", "Work waiting, by kind", ["kind"], multiprocess_mode="mostrecent")
OLDEST_AGE = Gauge(
    "triage_backlog_oldest_age_seconds",
    "Age of the oldest waiting item",
    ["kind"],
    multiprocess_mode="mostrecent",
)
STREAM_PENDING = Gauge(
    "triage_stream_pending",
    "Stream entries delivered to a working group's consumers and not acknowledged (XPENDING)",
    ["working_group"],
    multiprocess_mode="mostrecent",
)
STREAM_LENGTH = Gauge(
    "triage_stream_length",
    "Entries in a working group's stream (XLEN)",
    ["working_group"],
    multiprocess_mode="mostrecent",
)
DEAD_LETTERS = Gauge(
    "triage_dead_letters",
    "Assignments delivered too often without acknowledgement, still waiting",
    ["working_group"],
    multiprocess_mode="mostrecent",
)
SLA_OVERDUE = Gauge(
    "triage_sla_overdue_assignments",
    "Assignments past their working group's dispatch or acknowledgement limit",
    ["working_group", "waiting_for"],
    multiprocess_mode="mostrecent",
)
WEBHOOK_DELIVERIES = Gauge(
    "triage_webhook_deliveries",
    "Webhook deliveries that failed: given up after the last attempt, or waiting to retry",
    ["state"],
    multiprocess_mode="mostrecent",
)
# Counters of the dispatcher process (`triage dispatcher --metrics-port P` serves them).
OUTBOX_PUBLISHED = Counter(
    "triage_dispatcher_published_total", "Outbox rows published to the working groups' queues"
)
WEBHOOK_ATTEMPTS = Counter(
    "triage_webhook_attempts_total",
    "Webhook POSTs by outcome: delivered (2xx), rejected (any other status), unreachable",
    ["outcome"],
)

access_log = logging.getLogger("app.access")

GaugeSource = Callable[[Request], dict[tuple[str, ...], float]]


def record_decision(decision: str, area: str | None, language: str | None, seconds: float) -> None:
    DECISIONS.labels(decision, area or "none", language or "unknown").inc()
    CLASSIFICATION_SECONDS.observe(seconds)


class MetricsMiddleware:
    """Counts and times every HTTP request under its route template (bounded cardinality)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "GET")
            elapsed = time.perf_counter() - started
            HTTP_REQUESTS.labels(method, template, str(status)).inc()
            HTTP_LATENCY.labels(method, template).observe(elapsed)
            # The route template, never the path or query: they may carry ids or search text.
            access_log.info("%s %s %d %.1f ms", method, template, status, elapsed * 1000)


router = APIRouter(tags=["health"])


_scrape_token = HTTPBearer(auto_error=False)


@router.get("/metrics", include_in_schema=False)
def metrics(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_scrape_token)],
) -> Response:
    token: str | None = request.app.state.settings.metrics_token
    if token is not None and not (
        credentials is not None
        and hmac.compare_digest(credentials.credentials.encode(), token.encode())
    ):
        raise Unauthenticated(
            "metrics need the scrape token (TRIAGE_METRICS_TOKEN) as a bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    sources: list[tuple[Gauge, GaugeSource]] = request.app.state.metric_sources
    for gauge, source in sources:
        try:
            values = source(request)
        except Exception:
            # A dependency that is down shows in /readyz; metrics stay scrapeable.
            continue
        for labels, value in values.items():
            gauge.labels(*labels).set(value)
    return Response(generate_latest(collecting_registry()), media_type=CONTENT_TYPE_LATEST)


def collecting_registry() -> CollectorRegistry:
    """This process's registry, or every process's files in multiprocess mode."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def multiprocess_directory(configured: str | None) -> tuple[Path, bool]:
    """The directory where worker processes write their metrics, emptied of any earlier run's
    files: `configured` (PROMETHEUS_MULTIPROC_DIR) if set, else a new temporary directory.
    Returns it and whether it was created here (so the caller removes it at exit)."""
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        return directory, False
    return Path(tempfile.mkdtemp(prefix="triage-metrics-")), True


def remove_directory(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
