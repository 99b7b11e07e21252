"""Percentiles computed in the database on each backend, and the snapshots of closed months."""

import random
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalogue.loader import get_catalogue
from app.dashboards import events, service, snapshots
from app.dashboards.models import MonthSnapshot
from app.dashboards.periods import Month
from app.dispatch.models import Assignment
from app.intake.models import AssistanceRequest

CATALOGUE = get_catalogue()
MAY = datetime(2025, 5, 1, tzinfo=UTC)
LATER = datetime(2026, 1, 1, tzinfo=UTC)


def _assignments(session: Session, delays: list[tuple[str, int]]) -> None:
    """One request per delay, received on 2 May, its assignment dispatched `delay` s later."""
    created = MAY + timedelta(days=1)
    for n, (group, delay) in enumerate(delays):
        request = AssistanceRequest(
            reference=f"TA-2025-8{n:05d}",
            requesting_state="NGA",
            body="timed",
            language="en",
            status="dispatched",
            received_at=created,
            triaged_at=created,
            decision="auto_routed",
            confidence=0.9,
            working_group_id=group,
        )
        session.add(request)
        session.flush()
        session.add(
            Assignment(
                id=uuid.uuid4(),
                request_id=request.id,
                working_group_id=group,
                status="dispatched",
                created_at=created,
                dispatched_at=created + timedelta(seconds=delay),
            )
        )
    session.commit()


def test_percentiles_match_linear_interpolation_on_each_backend(
    api: TestClient, session: Session
) -> None:
    rng = random.Random(7)
    delays = [(rng.choice(["cj-cft", "bm-le"]), rng.randint(1, 20 * 3600)) for _ in range(41)]
    _assignments(session, delays)
    stats = service.monthly_stats(session, month="2025-05", catalogue=CATALOGUE, now=LATER)
    everything = [d for _, d in delays]
    assert stats.times.to_dispatch.count == 41
    assert stats.times.to_dispatch.p50_seconds == pytest.approx(np.percentile(everything, 50))
    assert stats.times.to_dispatch.p90_seconds == pytest.approx(np.percentile(everything, 90))
    for row in stats.by_working_group:
        mine = [d for g, d in delays if g == row.id]
        if not mine:
            assert row.to_dispatch.count == 0
            continue
        assert row.to_dispatch.count == len(mine)
        assert row.to_dispatch.p50_seconds == pytest.approx(np.percentile(mine, 50))
        assert row.to_dispatch.p90_seconds == pytest.approx(np.percentile(mine, 90))


def test_a_closed_month_is_computed_once_then_read_back(api: TestClient, session: Session) -> None:
    _assignments(session, [("cj-cft", 60), ("cj-cft", 120)])
    within_grace = datetime(2025, 6, 1, 0, 30, tzinfo=UTC)
    live = service.monthly_stats(session, month="2025-05", catalogue=CATALOGUE, now=within_grace)
    assert live.closed is False
    partial = session.scalar(select(MonthSnapshot).where(MonthSnapshot.month == "2025-05"))
    assert partial is not None
    assert partial.until == datetime(2025, 5, 31, tzinfo=UTC)  # days over, before the grace hour
    first = service.monthly_stats(session, month="2025-05", catalogue=CATALOGUE, now=LATER)
    session.refresh(partial)
    assert partial.until == datetime(2025, 6, 1, tzinfo=UTC)
    assert first.model_dump(exclude={"generated_at", "closed"}) == live.model_dump(
        exclude={"generated_at", "closed"}
    )
    assert first.closed is True
    stored = session.scalar(select(MonthSnapshot).where(MonthSnapshot.month == "2025-05"))
    assert stored is not None
    assert stored.figures["groups"]["cj-cft"]["dispatched"] == 2
    # A closed month's events cannot change; prove the stored figures are what is read back.
    session.execute(
        Assignment.__table__.update().values(dispatched_at=MAY + timedelta(days=40))  # type: ignore[attr-defined]
    )
    session.commit()
    again = service.monthly_stats(session, month="2025-05", catalogue=CATALOGUE, now=LATER)
    assert again.times.to_dispatch == first.times.to_dispatch
    assert again.model_dump(exclude={"generated_at"}) == first.model_dump(exclude={"generated_at"})
    # The trend of a later month reads May from the same snapshot.
    june = service.monthly_stats(session, month="2025-06", catalogue=CATALOGUE, now=LATER)
    assert june.trend.months[-2] == "2025-05"
    assert {s.id: s.counts[-2] for s in june.trend.working_groups}["cj-cft"] == 2


def test_the_current_month_adds_live_days_to_the_days_already_over(
    api: TestClient, session: Session
) -> None:
    """Days already over are stored once; the figures equal a computation from scratch."""
    rng = random.Random(3)
    delays = [(rng.choice(["cj-cft", "et-cip"]), rng.randint(60, 90_000)) for _ in range(30)]
    _assignments(session, delays)
    late = AssistanceRequest(
        reference="TA-2025-899999", requesting_state="KEN", body="late", language="en",
        status="dispatched", received_at=MAY + timedelta(days=19, hours=2),
        decision="auto_routed", confidence=0.8,
    )  # fmt: skip
    session.add(late)
    session.flush()
    session.add(
        Assignment(
            request_id=late.id,
            working_group_id="et-cip",
            status="dispatched",
            created_at=late.received_at,
            dispatched_at=late.received_at + timedelta(hours=30),  # a missed deadline, on day 21
        )
    )
    session.commit()
    now = datetime(2025, 5, 21, 12, tzinfo=UTC)
    month = Month(2025, 5)
    (mixed,) = snapshots.event_figures(session, [month], now=now)
    session.commit()
    stored = session.scalar(select(MonthSnapshot).where(MonthSnapshot.month == "2025-05"))
    assert stored is not None
    assert stored.until == datetime(2025, 5, 21, tzinfo=UTC)
    assert mixed == events.compute(session, start=month.start, end=month.end, now=now)
    late_random = sum(1 for g, d in delays if g == "et-cip" and d > 24 * 3600)
    assert mixed.groups["et-cip"].dispatch_sla_breaches == late_random + 1
    (again,) = snapshots.event_figures(session, [month], now=now + timedelta(minutes=5))
    assert again == mixed
