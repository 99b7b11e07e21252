"""Shared fixtures: a trained model, migrated databases on each backend, app clients."""

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.auth.models import User
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("TRIAGE_TEST_REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("TRIAGE_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TRIAGE_TEST_REDIS_URL")
# Tables whose rows tests create; reference data (working groups, routing, models) stays.
MUTABLE_TABLES = (
    "dashboard_request_facts",
    "dashboard_month_snapshots",
    "reviews",
    "desk_jobs",
    "login_attempts",
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_subscriptions",
    "working_group_keys",
    "training_examples",
    "outbox",
    "assignments",
    "attachments",
    "request_areas",
    "request_paragraphs",
    "triage_results",
    "audit_events",
    "assistance_requests",
    "portal_clients",
    "users",
    "reference_counters",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without the real services, their tests skip locally, but CI refuses to skip them."""
    for item in items:
        if "postgres" in item.keywords and not PG_URL:
            reason = "TRIAGE_TEST_DATABASE_URL is not set"
            item.add_marker(
                pytest.mark.skip(reason=reason)
                if not REQUIRE_SERVICES
                else pytest.mark.usefixtures("_missing_postgres")
            )
        if "redis" in item.keywords and not REDIS_URL:
            reason = "TRIAGE_TEST_REDIS_URL is not set"
            item.add_marker(
                pytest.mark.skip(reason=reason)
                if not REQUIRE_SERVICES
                else pytest.mark.usefixtures("_missing_redis")
            )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """In CI (TRIAGE_TEST_REQUIRE_SERVICES=1) a skipped test is a failed test."""
    report = yield
    if REQUIRE_SERVICES and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must run every test: {report.longrepr}"
    return report


@pytest.fixture
def _missing_postgres() -> None:
    pytest.fail("TRIAGE_TEST_REQUIRE_SERVICES=1 but TRIAGE_TEST_DATABASE_URL is not set")


@pytest.fixture
def _missing_redis() -> None:
    pytest.fail("TRIAGE_TEST_REQUIRE_SERVICES=1 but TRIAGE_TEST_REDIS_URL is not set")


@pytest.fixture(scope="session")
def trained_model_dir() -> Path:
    """A model trained once on the corpus; cached under var/ while its inputs are unchanged."""
    from app.catalogue.loader import get_catalogue
    from app.triage.training import cached_model

    pinned = os.environ.get("TRIAGE_TEST_MODEL_DIR")
    if pinned:
        # A developer iterating on app code can pin a trained model and skip retraining.
        return Path(pinned)
    return cached_model(ROOT / "var" / "test-cache", get_catalogue())


def _create_postgres_database(admin_url: str) -> tuple[str, Engine]:
    name = f"triage_test_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return url, admin


def _drop_postgres_database(admin: Engine, url: str) -> None:
    name = make_url(url).database
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("TRIAGE_TEST_DATABASE_URL is not set")
    url, admin = _create_postgres_database(PG_URL)
    try:
        yield url
    finally:
        _drop_postgres_database(admin, url)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'triage.db'}"


BACKENDS = [pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database on each backend, with the catalogue's reference data."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    from app.cli import migrate_database
    from app.settings import Settings

    migrate_database(Settings(database_url=url))
    return url


@pytest.fixture(scope="session")
def settings(database_url: str, trained_model_dir: Path) -> Settings:

    from app.db import make_engine, make_sessionmaker
    from app.settings import Settings
    from app.triage import registry

    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        card = registry.read_card(trained_model_dir)
        if registry.active(session) is None:
            registry.register(
                session,
                directory=trained_model_dir,
                card=card,
                model_dir=trained_model_dir.parent,
                activate=True,
            )
    engine.dispose()
    return Settings(
        environment="test",
        database_url=database_url,
        model_dir=trained_model_dir.parent,
        rate_limit="off",
        log_json=False,
        # The tests' webhook receivers listen on loopback.
        webhook_allowed_networks="127.0.0.0/8",
    )


@pytest.fixture(scope="session")
def app_client(settings: Settings) -> Iterator[TestClient]:
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def _clean(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(MUTABLE_TABLES)} CASCADE"))
        else:
            # A duplicate points at its original (ON DELETE RESTRICT, checked row by row).
            conn.execute(text("UPDATE assistance_requests SET duplicate_of_id = NULL"))
            for table in MUTABLE_TABLES:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def api(app_client: TestClient) -> Iterator[TestClient]:
    """The app on one backend; whatever a test stored is removed after it."""
    yield app_client
    _clean(app_client.app.state.engine)  # type: ignore[attr-defined]


@pytest.fixture
def session(api: TestClient) -> Iterator[Session]:
    with api.app.state.sessionmaker() as db:  # type: ignore[attr-defined]
        yield db


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on a free local port, for tests that need real concurrency."""
    import socket
    import threading
    import time

    import uvicorn

    from app.main import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live(live_server: str, api: TestClient) -> str:
    """The live server's base URL; the database is cleaned after the test like `api`."""
    return live_server


@pytest.fixture
def desk(api: TestClient) -> Iterator[TestClient]:
    """The app client without any desk cookie; its cookies are dropped again after the test."""
    api.cookies.clear()
    yield api
    api.cookies.clear()


@pytest.fixture
def officer(session: Session) -> User:
    from tests import factories

    return factories.user(session, username="officer", role="officer")


@pytest.fixture
def desk_admin(session: Session) -> User:
    from tests import factories

    return factories.user(session, username="chief", role="admin")
