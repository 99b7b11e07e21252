"""Prometheus metrics beyond HTTP traffic: stream, dead-letter, SLA and webhook gauges read at
scrape time, the dispatcher's counters and their endpoint, and several api workers adding up."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import redis
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.dispatch import inbox, sla
from app.dispatch.models import Assignment, AssignmentStatus
from app.dispatch.streams import Publication, StreamQueue
from app.main import create_app
from app.observability import MeteredDispatcher
from app.settings import Settings
from app.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from tests.conftest import REDIS_URL, ROOT
from tests.integration.dispatch_support import (
    WebhookReceiver,
    free_port,
    routed_requests,
    wait_for,
)

TRIAGE = Path(sys.executable).parent / "triage"


def scrape(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def _engine(api: TestClient) -> Engine:
    engine: Engine = api.app.state.engine  # type: ignore[attr-defined]
    return engine


def _subscription(session: Session, url: str, group: str = "cj-cft") -> WebhookSubscription:
    row = WebhookSubscription(
        working_group_id=group, url=url, secret="s" * 32, events=["assignment.dispatched"]
    )
    session.add(row)
    session.flush()
    return row


def _delivery(
    session: Session, subscription: WebhookSubscription, **fields: object
) -> WebhookDelivery:
    row = WebhookDelivery(
        subscription_id=subscription.id, event="assignment.dispatched", payload={}, **fields
    )
    session.add(row)
    return row


def test_gauges_count_dead_letters_overdue_assignments_and_failed_webhooks(
    api: TestClient, session: Session
) -> None:
    now = utcnow()
    late, unacknowledged, dead = routed_requests(_engine(api), 3, groups=("cj-cft",))
    moves = {
        late: {"created_at": now - timedelta(hours=30)},
        unacknowledged: {
            "status": AssignmentStatus.DISPATCHED.value,
            "dispatched_at": now - timedelta(hours=80),
        },
        dead: {
            "status": AssignmentStatus.DISPATCHED.value,
            "dispatched_at": now,
            "dead_lettered_at": now,
        },
    }
    for request_id, values in moves.items():
        session.execute(
            update(Assignment).where(Assignment.request_id == request_id).values(**values)
        )
    subscription = _subscription(session, "http://127.0.0.1:9/hook")
    _delivery(
        session,
        subscription,
        status=DeliveryStatus.FAILED.value,
        attempts=8,
        last_error="HTTP 500",
        next_attempt_at=None,
    )
    _delivery(session, subscription, attempts=2, last_error="ConnectError")
    _delivery(session, subscription, status=DeliveryStatus.DELIVERED.value, attempts=1)
    _delivery(session, subscription)
    session.commit()

    samples = scrape(api.get("/metrics").text)

    dead_letters = inbox.dead_letters(session, working_group_ids=["cj-cft"])
    assert value(samples, "triage_dead_letters", working_group="cj-cft") == len(dead_letters) == 1
    assert value(samples, "triage_dead_letters", working_group="bm-le") == 0
    overdue = {(o.working_group_id, o.waiting_for) for o in sla.overdue_assignments(session)}
    assert overdue == {("cj-cft", "dispatch"), ("cj-cft", "acknowledgement")}
    for waiting in ("dispatch", "acknowledgement"):
        assert (
            value(
                samples,
                "triage_sla_overdue_assignments",
                working_group="cj-cft",
                waiting_for=waiting,
            )
            == 1
        )
        assert (
            value(
                samples,
                "triage_sla_overdue_assignments",
                working_group="bm-le",
                waiting_for=waiting,
            )
            == 0
        )
    assert value(samples, "triage_webhook_deliveries", state="failed") == 1
    assert value(samples, "triage_webhook_deliveries", state="retrying") == 1
    assert value(samples, "triage_backlog", kind="outbox") == 3


@pytest.fixture
def redis_api(settings: Settings, api: TestClient) -> Iterator[TestClient]:
    assert REDIS_URL
    redis.Redis.from_url(REDIS_URL).flushdb()
    with TestClient(create_app(settings.model_copy(update={"redis_url": REDIS_URL}))) as client:
        yield client
    redis.Redis.from_url(REDIS_URL).flushdb()


@pytest.mark.redis
def test_stream_gauges_count_entries_and_unacknowledged_deliveries_per_group(
    redis_api: TestClient,
) -> None:
    client = redis.Redis.from_url(REDIS_URL or "")
    queue = StreamQueue(client)
    queue.publish(
        [Publication("cj-cft", f"request-{n}", {"request_id": f"request-{n}"}) for n in range(3)]
    )
    assert len(queue.claim("cj-cft", consumer="coordinator-1", count=2)) == 2

    samples = scrape(redis_api.get("/metrics").text)

    assert value(samples, "triage_stream_pending", working_group="cj-cft") == 2
    assert value(samples, "triage_stream_length", working_group="cj-cft") == 3
    assert value(samples, "triage_stream_pending", working_group="bm-le") == 0


def _count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_dispatcher_counts_published_rows_and_webhook_attempts_by_outcome(
    api: TestClient, session: Session, settings: Settings
) -> None:
    refusing = WebhookReceiver(statuses=[500])
    accepting = WebhookReceiver()
    try:
        for url in (refusing.url, accepting.url, f"http://127.0.0.1:{free_port()}/hook"):
            # Another group's hooks: publishing cj-cft's requests queues nothing for them.
            _delivery(session, _subscription(session, url, group="bm-le"))
        session.commit()
        routed_requests(_engine(api), 2, groups=("cj-cft",))
        before = {
            o: _count("triage_webhook_attempts_total", outcome=o)
            for o in ("delivered", "rejected", "unreachable")
        }
        published = _count("triage_dispatcher_published_total")

        dispatcher = MeteredDispatcher(settings, engine=_engine(api))
        try:
            assert dispatcher.dispatch_once() == 2
            assert dispatcher.deliver_once() == 3
        finally:
            dispatcher.close()

        assert _count("triage_dispatcher_published_total") - published == 2
        for outcome in ("delivered", "rejected", "unreachable"):
            assert _count("triage_webhook_attempts_total", outcome=outcome) - before[outcome] == 1
    finally:
        refusing.close()
        accepting.close()


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIAGE_", "PROMETHEUS_"))}
    return {**env, "TRIAGE_DATABASE_URL": database_url, "TRIAGE_RATE_LIMIT": "off", **extra}


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return None


def test_dispatcher_serves_its_metrics_when_given_a_port(settings: Settings) -> None:
    port = free_port()
    process = subprocess.Popen(
        [str(TRIAGE), "dispatcher", "--metrics-port", str(port)],
        env=_env(settings.database_url),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        wait_for(lambda: _get(url) is not None, timeout=30, what="the dispatcher's metrics")
        text = httpx.get(url).text
        assert "triage_dispatcher_published_total" in text
        assert "# TYPE triage_webhook_attempts_total counter" in text
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_with_two_workers_reports_the_sum_of_both(tmp_path: Path, database_url: str) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left over by an earlier run")
    port = free_port()
    process = subprocess.Popen(
        [str(TRIAGE), "serve", "--port", str(port), "--workers", "2"],
        env=_env(
            database_url, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), TRIAGE_LOG_LEVEL="WARNING"
        ),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _get(f"{base}/healthz") is not None, timeout=60, what="two workers")
        deadline = time.monotonic() + 30
        calls = 1
        # A new connection per call, so both workers accept some; stop once both have.
        while len(set(metrics_dir.glob("counter_*.db"))) < 2 or calls < 40:
            assert time.monotonic() < deadline, "one worker served every call"
            assert httpx.get(f"{base}/healthz", headers={"Connection": "close"}).is_success
            calls += 1
        assert not (metrics_dir / "counter_999999.db").exists()
        for _ in range(6):
            samples = scrape(httpx.get(f"{base}/metrics", headers={"Connection": "close"}).text)
            assert (
                value(
                    samples,
                    "triage_http_requests_total",
                    method="GET",
                    route="/healthz",
                    status="200",
                )
                == calls
            )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
