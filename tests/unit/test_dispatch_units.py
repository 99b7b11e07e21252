"""Dispatch logic without I/O: request status from assignments, backoff, signatures, stream
fields, webhook URLs and SLA clocks."""

import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from app.dispatch.models import Assignment
from app.dispatch.service import Backoff, aggregate_status
from app.dispatch.sla import Limits, clock
from app.dispatch.streams import entry_fields
from app.intake.models import RequestStatus
from app.webhooks.schemas import WebhookCreate
from app.webhooks.sender import Policy
from app.webhooks.signing import sign, verify

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["pending"], None),
        (["dispatched", "pending"], RequestStatus.DISPATCHED),
        (["acknowledged", "dispatched"], RequestStatus.ACKNOWLEDGED),
        (["completed", "dispatched"], RequestStatus.IN_PROGRESS),
        (["in_progress", "declined"], RequestStatus.IN_PROGRESS),
        (["completed", "declined"], RequestStatus.COMPLETED),
        (["declined", "declined"], RequestStatus.DECLINED),
        (["declined", "dispatched"], RequestStatus.DISPATCHED),
    ],
)
def test_request_status_follows_its_assignments(
    statuses: list[str], expected: RequestStatus | None
) -> None:
    assert aggregate_status(statuses) == expected


def test_outbox_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    backoff = Backoff(base=1.0, cap=30.0)
    for attempt, ceiling in ((1, 1.0), (2, 2.0), (4, 8.0), (10, 30.0), (500, 30.0)):
        delays = [backoff.delay(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1


def test_webhook_retries_use_full_jitter() -> None:
    policy = Policy(timeout=5, max_attempts=8, backoff_base=10, backoff_max=3600)
    delays = [policy.retry_delay(3) for _ in range(500)]
    assert all(0 <= d <= 40 for d in delays)
    assert min(delays) < 10
    assert max(delays) > 30


def test_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    body = b'{"id":"1","event":"request.dispatched"}'
    header = sign("whsec_test", body, timestamp=1_700_000_000)
    expected = hmac.new(b"whsec_test", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert verify("whsec_test", header, body, now=1_700_000_100)
    assert not verify("whsec_test", header, body + b" ", now=1_700_000_100)
    assert not verify("whsec_other", header, body, now=1_700_000_100)
    assert not verify("whsec_test", header, body, now=1_700_000_000 + 301)
    assert not verify("whsec_test", "garbage", body)


def test_a_fresh_signature_verifies_now() -> None:
    body = b"{}"
    assert verify("s", sign("s", body), body, now=time.time())


def test_stream_fields_are_strings_with_lists_as_json() -> None:
    fields = entry_fields(
        {
            "request_id": "r",
            "areas": ["ftf", "cbrn"],
            "paragraphs": [13, 20],
            "primary": True,
            "language": None,
        },
        assignment_id="a",
    )
    assert fields == {
        "request_id": "r",
        "areas": '["ftf","cbrn"]',
        "paragraphs": "[13,20]",
        "primary": "true",
        "language": "",
        "assignment_id": "a",
    }
    assert json.loads(fields["paragraphs"]) == [13, 20]


@pytest.mark.parametrize(
    "url",
    ["https://portal.example.org/hooks", "http://10.0.0.5:8080/h", "https://[2001:db8::1]/h?x=1"],
)
def test_http_and_https_webhook_urls_are_accepted(url: str) -> None:
    assert WebhookCreate(url=url).url == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://a.example/h",
        "mailto:x@example.org",
        "https://",
        "https://u:p@a.example/h",
        "http://a.example:0/h",
        "https://a.example/h h",
        "gopher://a.example",
    ],
)
def test_other_webhook_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        WebhookCreate(url=url)


def _assignment(
    status: str, *, dispatched: timedelta | None = None, acknowledged: timedelta | None = None
) -> Assignment:
    return Assignment(
        id=uuid.uuid4(),
        request_id=uuid.uuid4(),
        working_group_id="cj-cft",
        status=status,
        created_at=T0,
        dispatched_at=T0 + dispatched if dispatched is not None else None,
        acknowledged_at=T0 + acknowledged if acknowledged is not None else None,
    )


def test_sla_clock_flags_a_step_still_waiting_past_its_limit() -> None:
    limits = Limits(dispatch_hours=24, ack_hours=72)
    waiting = clock(_assignment("pending"), limits, now=T0 + timedelta(hours=25))
    assert waiting.overdue
    assert waiting.dispatch_breached
    assert waiting.ack_due_at is None
    unacked = clock(
        _assignment("dispatched", dispatched=timedelta(hours=1)),
        limits,
        now=T0 + timedelta(hours=74),
    )
    assert unacked.overdue
    assert unacked.ack_breached
    assert not unacked.dispatch_breached
    assert unacked.time_to_dispatch_seconds == 3600


def test_sla_clock_keeps_a_late_acknowledgement_as_a_breach_but_not_overdue() -> None:
    limits = Limits(dispatch_hours=24, ack_hours=72)
    late = clock(
        _assignment(
            "acknowledged", dispatched=timedelta(hours=1), acknowledged=timedelta(hours=80)
        ),
        limits,
        now=T0 + timedelta(days=10),
    )
    assert late.ack_breached
    assert not late.overdue
    assert late.time_to_ack_seconds == 79 * 3600
