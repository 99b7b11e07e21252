"""Dispatch into Redis Streams (a redis-server the test owns and stops): the entry contract,
idempotent publishing, and Redis outages that never cost an accepted request."""

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from app.cli import migrate_database
from app.db import make_engine, make_sessionmaker, utcnow
from app.dispatch import service
from app.dispatch.dispatcher import Dispatcher
from app.dispatch.models import Assignment, OutboxEntry
from app.dispatch.streams import WAKE_KEY, StreamQueue, stream_name
from app.settings import Settings
from app.triage import registry
from tests.conftest import _clean
from tests.factories import auth, portal_key, request_body
from tests.integration.dispatch_support import (
    RedisServer,
    column,
    rapi_fixture,  # noqa: F401
    redis_app_fixture,  # noqa: F401
    redis_client_fixture,  # noqa: F401
    redis_server_fixture,  # noqa: F401
    routed_requests,
    rows,
    stream_request_ids,
    unpublished,
)

pytestmark = pytest.mark.redis


def _engine(client: TestClient) -> Engine:
    return client.app.state.engine  # type: ignore[attr-defined,no-any-return]


def _dispatcher(
    settings: Settings, engine: Engine, client: "redis.Redis", **options: float
) -> Dispatcher:
    fast = settings.model_copy(update={"dispatch_retry_base": 0.05, "dispatch_retry_max": 0.2})
    return Dispatcher(fast, engine=engine, redis_client=client, **options)  # type: ignore[arg-type]


def test_stream_entries_carry_the_contract_fields(
    api: TestClient, settings: Settings, redis_client: "redis.Redis"
) -> None:
    [rid] = routed_requests(_engine(api), 1, groups=("cj-cft", "bm-le"))
    _dispatcher(settings, _engine(api), redis_client).drain()
    for group, primary in (("cj-cft", "true"), ("bm-le", "false")):
        [(entry_id, fields)] = redis_client.xrange(stream_name(group))
        entry = {k.decode(): v.decode() for k, v in fields.items()}
        assert entry["request_id"] == str(rid)
        assert entry["reference"].startswith("TX-")
        assert entry["requesting_state"] == "NGA"
        assert json.loads(entry["areas"]) == ["ftf"]
        assert json.loads(entry["paragraphs"]) == [13]
        assert entry["working_group"] == group
        assert entry["primary"] == primary
        stored = column(
            _engine(api),
            select(Assignment.stream_entry_id).where(
                Assignment.request_id == rid, Assignment.working_group_id == group
            ),
        )
        assert stored == [entry_id.decode()]
        assert entry["assignment_id"]


def test_a_batch_published_but_never_marked_is_not_published_twice(
    api: TestClient, settings: Settings, redis_client: "redis.Redis"
) -> None:
    """A dispatcher that dies between XADD and its commit: the next one finds the entries."""
    ids = routed_requests(_engine(api), 40)
    factory = make_sessionmaker(_engine(api))
    with factory() as doomed:

        def crash() -> None:
            raise RuntimeError("the dispatcher died before its commit")

        doomed.commit = crash  # type: ignore[method-assign]
        with pytest.raises(RuntimeError):
            service.publish_due(
                doomed,
                queue=StreamQueue(redis_client),
                batch_size=25,
                worker="doomed",
                retry=service.Backoff(0.05, 0.2),
            )
    first = {e.decode() for e, _ in redis_client.xrange(stream_name("cj-cft"))}
    assert len(first) == 25
    assert unpublished(_engine(api)) == 40
    _dispatcher(settings, _engine(api), redis_client).drain()
    in_stream = stream_request_ids(redis_client, "cj-cft")
    assert Counter(in_stream) == Counter({str(i): 1 for i in ids})
    stored = set(column(_engine(api), select(Assignment.stream_entry_id)))
    assert first <= stored, "the entries of the lost batch are the ones recorded"


def test_redis_outage_keeps_rows_with_backoff_and_the_dispatcher_catches_up(
    api: TestClient, settings: Settings, redis_server: RedisServer, redis_client: "redis.Redis"
) -> None:
    ids = routed_requests(_engine(api), 30)
    worker = _dispatcher(settings, _engine(api), redis_client, batch_size=10)
    redis_server.stop()
    before = utcnow()
    assert worker.step() == 0  # no exception: the worker keeps running
    waiting = rows(
        _engine(api),
        select(OutboxEntry.attempts, OutboxEntry.last_error, OutboxEntry.available_at).where(
            OutboxEntry.attempts > 0
        ),
    )
    assert waiting
    assert all(a == 1 and "ConnectionError" in (e or "") and at > before for a, e, at in waiting)
    assert unpublished(_engine(api)) == 30
    redis_server.start()
    worker.drain(timeout=20)
    deadline = utcnow() + timedelta(seconds=10)
    while unpublished(_engine(api)) and utcnow() < deadline:
        worker.step()
    assert Counter(stream_request_ids(redis_client, "cj-cft")) == Counter({str(i): 1 for i in ids})


def test_submission_nudges_a_waiting_dispatcher(
    rapi: TestClient, redis_client: "redis.Redis"
) -> None:
    with make_sessionmaker(_engine(rapi))() as session:
        key = portal_key(session)
    created = rapi.post("/api/v1/requests", json=request_body(), headers=auth(key)).json()
    expected = 1 if created["triage"]["decision"] == "auto_routed" else 0
    assert redis_client.llen(WAKE_KEY) == expected


# -- 500 submissions while Redis is down, on PostgreSQL --------------------------------------


@pytest.fixture
def pg_redis_app(
    postgresql_url: str, trained_model_dir: Path, redis_server: RedisServer
) -> Iterator[TestClient]:
    from app.main import create_app

    migrate_database(Settings(database_url=postgresql_url))
    engine = make_engine(postgresql_url)
    with make_sessionmaker(engine)() as session:
        if registry.active(session) is None:
            registry.register(
                session,
                directory=trained_model_dir,
                card=registry.read_card(trained_model_dir),
                model_dir=trained_model_dir.parent,
                activate=True,
            )
    configured = Settings(
        environment="test",
        database_url=postgresql_url,
        redis_url=redis_server.url,
        model_dir=trained_model_dir.parent,
        rate_limit="off",
        log_json=False,
    )
    try:
        with TestClient(create_app(configured), raise_server_exceptions=False) as client:
            yield client
    finally:
        _clean(engine)
        engine.dispose()


@pytest.mark.postgres
def test_500_requests_submitted_while_redis_is_down_all_reach_their_streams_once(
    pg_redis_app: TestClient, redis_server: RedisServer, redis_client: "redis.Redis"
) -> None:
    engine = _engine(pg_redis_app)
    with make_sessionmaker(engine)() as session:
        key = portal_key(session)
    redis_server.stop()
    responses = [
        pg_redis_app.post(
            "/api/v1/requests",
            headers=auth(key),
            json=request_body(
                f"Request {i}: training for prosecutors on terrorist financing investigations "
                f"and asset freezing, cohort {i}."
            ),
        )
        for i in range(500)
    ]
    assert [r.status_code for r in responses] == [201] * 500
    worker = _dispatcher(
        pg_redis_app.app.state.settings,
        engine,  # type: ignore[attr-defined]
        redis_server.client(),
        batch_size=100,
    )
    assert worker.step() == 0
    assert unpublished(engine) == len(column(engine, select(OutboxEntry.id)))
    redis_server.start()
    deadline = utcnow() + timedelta(seconds=30)
    while unpublished(engine) and utcnow() < deadline:
        worker.step()
    assert unpublished(engine) == 0
    routed = rows(engine, select(Assignment.request_id, Assignment.working_group_id))
    assert len(routed) >= 400, "most of these texts route automatically"
    streams: Counter[tuple[str, str]] = Counter()
    for group in {g for _, g in routed}:
        streams.update((rid, group) for rid in stream_request_ids(redis_client, group))
    assert streams == Counter({(str(rid), group): 1 for rid, group in routed})
    assert {uuid.UUID(r.json()["id"]) for r in responses} >= {rid for rid, _ in routed}


def test_entries_redis_lost_are_published_again_once(
    api: TestClient, settings: Settings, redis_client: "redis.Redis"
) -> None:
    """Redis loses data after the outbox was marked (a crash before fsync, a failover)."""
    ids = routed_requests(_engine(api), 12)
    worker = _dispatcher(settings, _engine(api), redis_client)
    worker.drain()
    entries = [e.decode() for e, _ in redis_client.xrange(stream_name("cj-cft"))]
    assert len(entries) == 12
    assert worker.reconcile_once() == 0  # nothing lost yet

    redis_client.xdel(stream_name("cj-cft"), *entries[:5])  # five lost writes
    assert worker.reconcile_once() == 5
    assert Counter(stream_request_ids(redis_client, "cj-cft")) == Counter({str(i): 1 for i in ids})
    stored = set(column(_engine(api), select(Assignment.stream_entry_id)))
    assert stored == {e.decode() for e, _ in redis_client.xrange(stream_name("cj-cft"))}

    redis_client.flushall()  # a restart with nothing on disk
    assert worker.reconcile_once() == 12
    assert worker.reconcile_once() == 0
    assert Counter(stream_request_ids(redis_client, "cj-cft")) == Counter({str(i): 1 for i in ids})


def test_a_dispatcher_republishes_on_its_own_after_redis_restarts_empty(
    api: TestClient, settings: Settings, redis_server: RedisServer, redis_client: "redis.Redis"
) -> None:
    ids = routed_requests(_engine(api), 8)
    quick = settings.model_copy(update={"dispatch_reconcile_interval": 0.01})
    worker = _dispatcher(quick, _engine(api), redis_client)
    worker.drain()
    assert len(stream_request_ids(redis_client, "cj-cft")) == 8
    redis_server.stop()
    redis_server.start()  # a new server process that kept nothing
    assert stream_request_ids(redis_client, "cj-cft") == []
    time.sleep(0.02)
    worker.step()  # sees another run_id, so checks every dispatched entry
    assert Counter(stream_request_ids(redis_client, "cj-cft")) == Counter({str(i): 1 for i in ids})
    time.sleep(0.02)
    worker.step()  # the same Redis: nothing checked, nothing published twice
    assert len(stream_request_ids(redis_client, "cj-cft")) == 8
