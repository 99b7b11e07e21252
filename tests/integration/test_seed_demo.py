"""`triage seed-demo --requests N --months M`: synthetic traffic that reads like the real one
and is consistent across every table the dashboards and the desk read."""

import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.catalogue.loader import get_catalogue
from app.dashboards import service as dashboards_service
from app.dashboards.periods import Month
from app.demo.service import seed_traffic
from app.desk.models import Review
from app.dispatch import progress as dispatch_progress
from app.dispatch.models import Assignment
from app.intake.models import AssistanceRequest, ReferenceCounter, RequestArea
from app.triage.models import TriageResult

CATALOGUE = get_catalogue()
ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)


@pytest.fixture
def seeded(api: TestClient, session: Session) -> Session:
    seed_traffic(session, requests=3000, months=6, catalogue=CATALOGUE, now=NOW, batch_size=700)
    return session


def test_seeded_requests_cover_languages_areas_statuses_and_months(seeded: Session) -> None:
    requests = seeded.execute(
        select(AssistanceRequest.language, AssistanceRequest.status, AssistanceRequest.received_at)
    ).all()
    assert len(requests) == 3000
    assert {r.language for r in requests} == {"ar", "zh", "en", "fr", "ru", "es"}
    assert {r.status for r in requests} >= {
        "triaged",
        "needs_review",
        "dispatched",
        "acknowledged",
        "in_progress",
        "completed",
        "declined",
        "out_of_scope",
        "duplicate",
    }
    months = Counter(r.received_at.strftime("%Y-%m") for r in requests)
    assert sorted(months) == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert all(datetime(2026, 1, 1, tzinfo=UTC) <= r.received_at < NOW for r in requests)
    areas = set(seeded.scalars(select(RequestArea.area_id).distinct()))
    assert areas == set(CATALOGUE.area_ids)
    states = set(seeded.scalars(select(AssistanceRequest.requesting_state).distinct()))
    assert len(states) > 60
    assert states <= {s.iso3 for s in CATALOGUE.states}


def test_seeded_rows_agree_with_each_other(seeded: Session) -> None:
    references = list(seeded.scalars(select(AssistanceRequest.reference)))
    assert len(set(references)) == len(references)
    assert all(re.fullmatch(r"TA-2026-\d{6}", r) for r in references)
    counter = seeded.scalar(
        select(ReferenceCounter.last_value).where(ReferenceCounter.year == 2026)
    )
    assert counter == max(int(r[-6:]) for r in references)
    triaged = seeded.execute(
        select(
            AssistanceRequest.current_triage_id, TriageResult.request_id, AssistanceRequest.id
        ).join(TriageResult, TriageResult.id == AssistanceRequest.current_triage_id)
    ).all()
    assert len(triaged) == 3000
    assert all(t.request_id == t.id for t in triaged)
    by_request: dict[object, list[str]] = {}
    for request_id, status in seeded.execute(select(Assignment.request_id, Assignment.status)):
        by_request.setdefault(request_id, []).append(status)
    statuses = dict(seeded.execute(select(AssistanceRequest.id, AssistanceRequest.status)).all())
    for request_id, assigned in by_request.items():
        expected = dispatch_progress.aggregate_status(assigned)
        assert statuses[request_id] == (expected.value if expected else "triaged")
    reviews = list(seeded.scalars(select(Review)))
    assert {r.action for r in reviews} == {"confirm", "correct", "out_of_scope", "duplicate"}
    assert all(
        set(r.after) == {"areas", "paragraphs", "working_group", "co_groups", "out_of_scope"}
        for r in reviews
    )
    assert any(r.overridden for r in reviews)
    assert not all(r.overridden for r in reviews)
    waiting = seeded.scalar(
        select(func.count())
        .select_from(AssistanceRequest)
        .where(AssistanceRequest.status == "needs_review")
    )
    reviewed_waiting = seeded.scalar(
        select(func.count(func.distinct(Review.request_id)))
        .join(AssistanceRequest, AssistanceRequest.id == Review.request_id)
        .where(AssistanceRequest.status == "needs_review")
    )
    assert waiting
    assert reviewed_waiting == 0


def test_the_dashboards_count_every_seeded_request(seeded: Session) -> None:
    assert dashboards_service.prepare(seeded, catalogue=CATALOGUE, now=NOW) == 6
    total = 0
    for month in Month(2026, 6).trailing(6):
        stats = dashboards_service.monthly_stats(
            seeded, month=month.label, catalogue=CATALOGUE, now=NOW
        )
        total += stats.received
        assert sum(x.count for x in stats.by_language) == stats.received
        assert sum(r.count for r in stats.by_region) == stats.received
    assert total == 3000


def test_the_same_seed_draws_the_same_traffic(api: TestClient, session: Session) -> None:
    for _ in range(2):
        seed_traffic(session, requests=200, months=2, catalogue=CATALOGUE, now=NOW, seed=5)
    rows = session.execute(
        select(
            AssistanceRequest.received_at,
            AssistanceRequest.requesting_state,
            AssistanceRequest.body,
            AssistanceRequest.status,
        )
    ).all()
    counts = Counter(tuple(r) for r in rows)
    assert len(rows) == 400
    assert set(counts.values()) == {2}


def test_seed_demo_command_adds_traffic_after_the_demo_accounts(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TRIAGE_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "TRIAGE_LOG_JSON": "false",
    }
    triage = [sys.executable, "-m", "app.cli"]

    def run(*args: str) -> str:
        done = subprocess.run(
            [*triage, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    run("migrate")
    first = run("seed-demo", "--requests", "300", "--months", "2")
    assert "demo desk admin: username admin" in first
    assert re.search(r"added 300 requests received from \d{4}-\d{2}-01", first)
    second = run("seed-demo", "--requests", "100", "--months", "1")
    assert "demo desk admin" not in second
    assert "added 100 requests" in second
    refused = subprocess.run(
        [*triage, "seed-demo", "--requests", "10", "--months", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert refused.returncode == 2
