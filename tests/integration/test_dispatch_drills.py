"""Fault drills on PostgreSQL, over Redis (a server the test owns) and over the embedded
queue: competing `triage dispatcher` processes, SIGKILL mid-batch, and a database outage.
Each request reaches each of its working groups exactly once."""

import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url

from app.audit.models import AuditEvent
from app.cli import migrate_database
from app.db import make_engine
from app.dispatch.dispatcher import Dispatcher
from app.dispatch.models import Assignment
from app.intake.models import AssistanceRequest
from app.settings import Settings
from tests.conftest import _clean
from tests.integration.dispatch_support import (
    RedisServer,
    TcpProxy,
    column,
    dispatcher_env,
    dispatcher_process,
    redis_server_fixture,  # noqa: F401
    routed_requests,
    rows,
    stream_request_ids,
    unpublished,
    wait_for,
)

pytestmark = pytest.mark.postgres
MODES = [pytest.param("embedded"), pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture
def pg(postgresql_url: str) -> Iterator[Engine]:
    migrate_database(Settings(database_url=postgresql_url))
    engine = make_engine(postgresql_url)
    yield engine
    _clean(engine)
    engine.dispose()


@pytest.fixture(params=MODES)
def queue(request: pytest.FixtureRequest) -> Iterator["redis.Redis | None"]:
    """None for the embedded queue, else a client of the test's own Redis, emptied after."""
    if request.param == "embedded":
        yield None
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    if server.process is None:
        server.start()
    client = server.client()
    yield client
    client.flushall()
    client.close()


def _env(url: str, queue: "redis.Redis | None") -> dict[str, str]:
    redis_url = None
    if queue is not None:
        kwargs = queue.connection_pool.connection_kwargs
        redis_url = f"redis://{kwargs['host']}:{kwargs['port']}/0"
    return dispatcher_env(Settings(database_url=url), redis_url=redis_url)


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def assert_each_once(
    engine: Engine, queue: "redis.Redis | None", ids: list[uuid.UUID], groups: tuple[str, ...]
) -> None:
    """Each request dispatched to each group once: in the database, the audit trail and the
    streams."""
    expected = len(ids) * len(groups)
    assert unpublished(engine) == 0
    assert Counter(column(engine, select(Assignment.status))) == {"dispatched": expected}
    audited = Counter(
        column(
            engine,
            select(AuditEvent.details["assignment_id"].as_string()).where(
                AuditEvent.action == "assignment.dispatched"
            ),
        )
    )
    assert len(audited) == expected
    assert set(audited.values()) == {1}
    assert Counter(column(engine, select(AssistanceRequest.status))) == {"dispatched": len(ids)}
    if queue is not None:
        for group in groups:
            in_stream = stream_request_ids(queue, group)
            assert len(in_stream) == len(ids), f"{group}: {len(in_stream)} entries"
            assert set(in_stream) == {str(i) for i in ids}
        entries = rows(engine, select(Assignment.working_group_id, Assignment.stream_entry_id))
        assert len(set(entries)) == expected
        assert all(entry_id for _, entry_id in entries)


def test_two_dispatchers_at_once_deliver_each_request_once(
    pg: Engine, queue: "redis.Redis | None"
) -> None:
    groups = ("cj-cft",)
    ids = routed_requests(pg, 2000, groups=groups)
    env = _env(_url(pg), queue)
    with (
        dispatcher_process(env, "--once", "--batch-size", "50", "--name", "one") as one,
        dispatcher_process(env, "--once", "--batch-size", "50", "--name", "two") as two,
    ):
        assert one.wait(timeout=120) == 0
        assert two.wait(timeout=120) == 0
    assert_each_once(pg, queue, ids, groups)
    workers = Counter(
        column(pg, select(AuditEvent.actor_id).where(AuditEvent.action == "assignment.dispatched"))
    )
    assert set(workers) == {"one", "two"}, "both dispatchers should have taken batches"


def test_dispatcher_killed_mid_batch_and_restarted_loses_and_duplicates_nothing(
    pg: Engine, queue: "redis.Redis | None"
) -> None:
    ids = routed_requests(pg, 1500)
    env = _env(_url(pg), queue)
    with dispatcher_process(env, "--batch-size", "25") as first:
        wait_for(lambda: unpublished(pg) < 1400, timeout=60, what="the first batches")
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=10) == -signal.SIGKILL
    assert unpublished(pg) > 0, "the dispatcher finished before it was killed"
    with dispatcher_process(env, "--batch-size", "25") as second:
        wait_for(lambda: unpublished(pg) == 0, timeout=60, what="the restarted dispatcher")
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=10) == 0, "SIGTERM finishes the batch and exits 0"
    assert_each_once(pg, queue, ids, ("cj-cft",))


def test_dispatcher_waits_out_a_database_outage_and_resumes_by_itself(
    pg: Engine, queue: "redis.Redis | None", caplog: pytest.LogCaptureFixture
) -> None:
    """The worker loop of `triage dispatcher`, in a thread, behind a proxy the test cuts."""
    url = make_url(_url(pg))
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = Settings(
        database_url=proxied,
        dispatch_db_backoff_max=1.0,
        dispatch_retry_base=0.05,
        dispatch_retry_max=0.5,
    )
    worker = Dispatcher(settings, redis_client=queue, name="survivor")
    loop = threading.Thread(target=worker.run, daemon=True)
    ids = routed_requests(pg, 20)
    try:
        loop.start()
        wait_for(lambda: unpublished(pg) == 0, timeout=30, what="the first requests")
        proxy.stop()
        ids += routed_requests(pg, 20)
        time.sleep(1.5)  # several failed polls, backing off
        assert loop.is_alive(), "the dispatcher died with the database"
        assert unpublished(pg) == 20
        proxy.start()
        wait_for(lambda: unpublished(pg) == 0, timeout=30, what="the dispatcher to resume")
    finally:
        worker.stop()
        loop.join(timeout=10)
        proxy.stop()
    assert not loop.is_alive()
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    assert_each_once(pg, queue, ids, ("cj-cft",))
