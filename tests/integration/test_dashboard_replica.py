"""Dashboards read from a PostgreSQL replica: their bookkeeping is written on the primary, their
figures read in read-only transactions, the same figures as on the primary; a replica that lags
is passed over.

The replica here is the test database behind an engine whose every transaction is read-only:
any write the read path attempted would fail the test.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from app.catalogue.loader import get_catalogue
from app.dashboards import monthly, service
from app.dashboards import replica as replica_module
from app.dashboards.models import MonthSnapshot, RequestFact
from app.dashboards.periods import Month
from app.db import make_engine, make_sessionmaker
from app.metrics import DASHBOARD_READS
from app.settings import Settings
from tests.desk_support import sign_in
from tests.factories import user
from tests.integration.test_dashboard_monthly import seed_known

CATALOGUE = get_catalogue()
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]


@pytest.fixture
def replica(settings: Settings) -> Iterator["sessionmaker[Session]"]:
    engine = make_engine(settings.database_url, pool_size=2, read_only=True)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def seeded(session: Session) -> Session:
    seed_known(session)
    return session


def _reads(source: str) -> float:
    return DASHBOARD_READS.labels(source)._value.get()  # type: ignore[attr-defined,no-any-return]


def _forget_bookkeeping(session: Session) -> None:
    """As if no dashboard had been read yet: the replica path must prepare everything."""
    session.execute(delete(MonthSnapshot))
    session.execute(delete(RequestFact))
    session.commit()


def test_the_replica_engine_refuses_to_write(replica: "sessionmaker[Session]") -> None:
    with replica() as session, pytest.raises(DBAPIError, match="read-only transaction"):
        session.execute(text("UPDATE reference_counters SET last_value = last_value"))


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 6, 10, tzinfo=UTC),  # March closed: snapshots for it and its trend
        datetime(2026, 3, 20, 12, tzinfo=UTC),  # March under way: a partial snapshot, live rest
    ],
)
def test_monthly_figures_on_the_replica_are_the_primarys(
    seeded: Session, replica: "sessionmaker[Session]", now: datetime
) -> None:
    on_primary = service.monthly_stats(seeded, month="2026-03", catalogue=CATALOGUE, now=now)
    _forget_bookkeeping(seeded)
    before = _reads("replica")
    on_replica = service.monthly_stats(
        seeded, month="2026-03", catalogue=CATALOGUE, now=now, replica=replica
    )
    assert on_replica == on_primary
    assert on_replica.received == 6
    assert _reads("replica") == before + 1


def test_a_read_only_read_computes_what_was_not_stored_and_keeps_nothing(
    seeded: Session, replica: "sessionmaker[Session]"
) -> None:
    now = datetime(2026, 6, 10, tzinfo=UTC)
    expected = service.monthly_stats(seeded, month="2026-03", catalogue=CATALOGUE, now=now)
    seeded.execute(delete(MonthSnapshot))  # the facts stay; the snapshots must be recomputed
    seeded.commit()
    with replica() as read_only:
        got = monthly.monthly_stats(
            read_only,
            month=Month.parse("2026-03", now=now),
            catalogue=CATALOGUE,
            now=now,
            writable=False,
        )
    assert got == expected
    assert seeded.scalars(select(MonthSnapshot)).all() == []


def test_the_implementation_report_on_the_replica_is_the_primarys(
    seeded: Session, replica: "sessionmaker[Session]"
) -> None:
    now = datetime(2026, 6, 10, tzinfo=UTC)
    args = {"first": "2026-01-01", "last": "2026-04-30", "catalogue": CATALOGUE, "now": now}
    on_primary = service.implementation_report(seeded, **args)  # type: ignore[arg-type]
    _forget_bookkeeping(seeded)
    on_replica = service.implementation_report(seeded, replica=replica, **args)  # type: ignore[arg-type]
    assert on_replica == on_primary


def test_a_replica_that_lags_is_passed_over_for_the_primary(
    seeded: Session, replica: "sessionmaker[Session]", monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2026, 6, 10, tzinfo=UTC)
    expected = service.monthly_stats(seeded, month="2026-03", catalogue=CATALOGUE, now=now)
    monkeypatch.setattr(replica_module, "caught_up", lambda *_, **__: False)
    before = (_reads("replica"), _reads("primary"))
    lagging = service.monthly_stats(
        seeded, month="2026-03", catalogue=CATALOGUE, now=now, replica=replica
    )
    assert lagging == expected
    assert (_reads("replica"), _reads("primary")) == (before[0], before[1] + 1)


def test_a_server_not_in_recovery_is_current(replica: "sessionmaker[Session]") -> None:
    with replica() as session:
        assert replica_module.caught_up(session, "0/0", timeout=0)
        assert replica_module.caught_up(session, "FFFFFFFF/FFFFFFFF", timeout=0)


def test_the_dashboards_serve_from_the_configured_replica(
    seeded: Session, settings: Settings
) -> None:
    from app.main import create_app

    user(seeded, username="manager", role="officer")
    with_replica = settings.model_copy(update={"dashboard_database_url": settings.database_url})
    with TestClient(create_app(with_replica)) as client:
        sign_in(client, "manager")
        before = _reads("replica")
        response = client.get("/api/v1/stats/monthly?month=2026-03")
        assert response.status_code == 200, response.text
        assert response.json()["received"] == 6
        assert client.get("/dashboards/implementation?from=2026-03-01&to=2026-03-31").is_success
        assert _reads("replica") == before + 2
        ready = client.get("/readyz").json()
        assert ready["status"] == "ready"
        assert ready["checks"]["dashboard_replica"] == {
            "ok": True,
            "required": False,
            "replay_age_seconds": None,  # not a standby: nothing to replay
        }


def test_an_unreachable_replica_leaves_the_dashboards_on_the_primary(
    seeded: Session, settings: Settings
) -> None:
    from app.main import create_app

    user(seeded, username="manager", role="officer")
    gone = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=2"
    with TestClient(
        create_app(settings.model_copy(update={"dashboard_database_url": gone}))
    ) as client:
        sign_in(client, "manager")
        before = _reads("primary")
        response = client.get("/api/v1/stats/monthly?month=2026-03")
        assert response.status_code == 200, response.text
        assert response.json()["received"] == 6
        assert _reads("primary") == before + 1
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"]["dashboard_replica"]["ok"] is False
