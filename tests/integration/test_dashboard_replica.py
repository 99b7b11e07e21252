"""Dashboards read from a PostgreSQL replica: their bookkeeping is written on the primary, their
figures read in read-only transactions, the same figures as on the primary; a replica that lags
is passed over.

The replica here is the test database behind an engine whose every transaction is read-only:
any write the read path attempted would fail the test.
"""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from app import health
from app.catalogue.loader import get_catalogue
from app.cli import migrate_database
from app.dashboards import monthly, service
from app.dashboards import replica as replica_module
from app.dashboards.models import MonthSnapshot, RequestFact
from app.dashboards.periods import Month
from app.dashboards.schemas import MonthlyStats
from app.db import make_engine, make_sessionmaker
from app.metrics import DASHBOARD_READS
from app.settings import Settings
from tests.desk_support import sign_in
from tests.factories import user
from tests.integration.dispatch_support import free_port
from tests.integration.test_dashboard_monthly import seed_known

CATALOGUE = get_catalogue()
pytestmark = pytest.mark.postgres
# The app, its session and its settings on the PostgreSQL test database only.
ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


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


@ON_POSTGRESQL
def test_the_replica_engine_refuses_to_write(replica: "sessionmaker[Session]") -> None:
    with replica() as session, pytest.raises(DBAPIError, match="read-only transaction"):
        session.execute(text("UPDATE reference_counters SET last_value = last_value"))


@ON_POSTGRESQL
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


@ON_POSTGRESQL
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


@ON_POSTGRESQL
def test_the_implementation_report_on_the_replica_is_the_primarys(
    seeded: Session, replica: "sessionmaker[Session]"
) -> None:
    now = datetime(2026, 6, 10, tzinfo=UTC)
    args = {"first": "2026-01-01", "last": "2026-04-30", "catalogue": CATALOGUE, "now": now}
    on_primary = service.implementation_report(seeded, **args)  # type: ignore[arg-type]
    _forget_bookkeeping(seeded)
    on_replica = service.implementation_report(seeded, replica=replica, **args)  # type: ignore[arg-type]
    assert on_replica == on_primary


@ON_POSTGRESQL
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


@ON_POSTGRESQL
def test_a_server_not_in_recovery_is_current(replica: "sessionmaker[Session]") -> None:
    with replica() as session:
        assert replica_module.caught_up(session, "0/0", timeout=0)
        assert replica_module.caught_up(session, "FFFFFFFF/FFFFFFFF", timeout=0)


@ON_POSTGRESQL
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


@ON_POSTGRESQL
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


# -- a real hot standby -----------------------------------------------------------------------


def _bin(name: str) -> str:
    return str(Path(subprocess.check_output(["pg_config", "--bindir"], text=True).strip()) / name)


@pytest.fixture(scope="module")
def streaming_pair() -> Iterator[tuple[str, str]]:
    """A PostgreSQL primary of the test's own and a hot standby streaming from it, each on a
    free port (the machine's server takes no replication connections). Their URLs."""
    # Not under pytest's temporary directory: the server's user could not enter it.
    base = Path(tempfile.mkdtemp(prefix="triage-streaming-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(base, "postgres")
    try:
        yield from _pair(base, as_postgres)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _pair(base: Path, as_postgres: list[str]) -> Iterator[tuple[str, str]]:
    primary, standby = base / "primary", base / "standby"
    ports = free_port(), free_port()

    def run(*args: str | Path) -> None:
        subprocess.run([*as_postgres, *map(str, args)], check=True, capture_output=True)

    # initdb with trust auth also lets 127.0.0.1 in for replication.
    run(_bin("initdb"), "-D", primary, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
    settings = (
        f"port = {ports[0]}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{base}'\n"
        "fsync = off\nwal_level = replica\nmax_wal_senders = 4\n"
    )
    run("sh", "-c", f'printf %s "{settings}" >> {primary / "postgresql.conf"}')
    run(_bin("pg_ctl"), "-D", primary, "-l", base / "primary.log", "-w", "start")
    try:
        run(_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(ports[0]), "-U", "postgres",
            "-D", standby, "-R", "-X", "stream")  # fmt: skip
        run("sh", "-c", f"echo 'port = {ports[1]}' >> {standby / 'postgresql.auto.conf'}")
        run(_bin("pg_ctl"), "-D", standby, "-l", base / "standby.log", "-w", "start")
        try:
            yield tuple(  # type: ignore[misc]
                f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres" for port in ports
            )
        finally:
            run(_bin("pg_ctl"), "-D", standby, "-m", "immediate", "stop")
    finally:
        run(_bin("pg_ctl"), "-D", primary, "-m", "immediate", "stop")


def test_a_hot_standby_serves_the_figures_and_its_lag_is_waited_for_or_passed_over(
    streaming_pair: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    primary_url, standby_url = streaming_pair
    migrate_database(Settings(database_url=primary_url))
    primary_engine = make_engine(primary_url, pool_size=2)
    standby_engine = make_engine(standby_url, pool_size=2, read_only=True)
    standby = make_sessionmaker(standby_engine)
    now = datetime(2026, 6, 10, tzinfo=UTC)
    try:
        with make_sessionmaker(primary_engine)() as session:
            seed_known(session)
            expected = service.monthly_stats(session, month="2026-03", catalogue=CATALOGUE, now=now)
            _forget_bookkeeping(session)

            def read() -> MonthlyStats:
                return service.monthly_stats(
                    session, month="2026-03", catalogue=CATALOGUE, now=now, replica=standby
                )

            # Caught up: the figures come from the standby, just after the primary's commit.
            before = _reads("replica")
            assert read() == expected
            assert _reads("replica") == before + 1
            with standby() as probe:
                assert probe.execute(text("SELECT pg_is_in_recovery()")).scalar_one()
            assert health._replica_check(standby)["replay_age_seconds"] is not None

            # Replay paused: the standby falls behind the next commit and is passed over.
            monkeypatch.setattr(replica_module, "MAX_WAIT", 0.3)
            with standby_engine.connect() as control:
                control.execute(text("SELECT pg_wal_replay_pause()"))
                _forget_bookkeeping(session)
                before = _reads("primary")
                assert read() == expected
                assert _reads("primary") == before + 1
                control.execute(text("SELECT pg_wal_replay_resume()"))
            _forget_bookkeeping(session)
            before = _reads("replica")
            assert read() == expected
            assert _reads("replica") == before + 1
    finally:
        standby_engine.dispose()
        primary_engine.dispose()
