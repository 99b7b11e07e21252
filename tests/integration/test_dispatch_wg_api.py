"""The working-group API over Redis Streams and over the embedded queue: keys bound to one
group, claims with a visibility timeout, dead letters, audited idempotent transitions and
SLA flags."""

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.cli import cli
from app.db import make_sessionmaker, utcnow
from app.dispatch import keys, sla
from app.dispatch.dispatcher import Dispatcher
from app.dispatch.models import Assignment
from app.dispatch.streams import (
    CONSUMER_GROUP,
    Publication,
    StreamQueue,
    published_key,
    stream_name,
)
from app.settings import Settings, get_settings
from tests.factories import auth, portal_key
from tests.integration.dispatch_support import (
    RedisServer,
    column,
    redis_client_fixture,  # noqa: F401
    redis_server_fixture,  # noqa: F401
    routed_requests,
    rows,
)

MODES = [pytest.param("embedded"), pytest.param("redis", marks=pytest.mark.redis)]


def _app(settings: Settings) -> Iterator[TestClient]:
    from app.main import create_app

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def tuned(settings: Settings) -> Settings:
    return settings.model_copy(update={"dispatch_max_deliveries": 2})


@pytest.fixture(scope="module")
def embedded_app(tuned: Settings) -> Iterator[TestClient]:
    yield from _app(tuned)


@pytest.fixture(scope="module")
def redis_wg_app(tuned: Settings, redis_server: RedisServer) -> Iterator[TestClient]:
    yield from _app(tuned.model_copy(update={"redis_url": redis_server.url}))


@dataclass
class Harness:
    client: TestClient
    queue: "redis.Redis | None"
    settings: Settings

    @property
    def engine(self) -> Engine:
        return self.client.app.state.engine  # type: ignore[attr-defined,no-any-return]

    def dispatch(self) -> None:
        worker = Dispatcher(self.settings, engine=self.engine, redis_client=self.queue)
        worker.drain()
        worker.close()

    def group_key(self, group: str = "cj-cft") -> dict[str, str]:
        with make_sessionmaker(self.engine)() as session:
            return auth(keys.create_key(session, working_group_id=group).key)

    def assignments(self, count: int, group: str = "cj-cft", **options: object) -> list[str]:
        """`count` requests dispatched to `group`; their assignment ids."""
        ids = routed_requests(self.engine, count, groups=(group,), **options)  # type: ignore[arg-type]
        self.dispatch()
        found = dict(
            rows(
                self.engine,
                select(Assignment.request_id, Assignment.id).where(Assignment.request_id.in_(ids)),
            )
        )
        return [str(found[i]) for i in ids]

    def claim(self, key: dict[str, str], consumer: str, **body: object) -> dict[str, object]:
        response = self.client.post(
            "/api/v1/wg/claim", headers=key, json={"consumer": consumer, **body}
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


@pytest.fixture(params=MODES)
def wg(request: pytest.FixtureRequest, api: TestClient, tuned: Settings) -> Harness:
    if request.param == "embedded":
        return Harness(request.getfixturevalue("embedded_app"), None, tuned)
    client: redis.Redis = request.getfixturevalue("redis_client")
    return Harness(
        request.getfixturevalue("redis_wg_app"),
        client,
        tuned.model_copy(update={"redis_url": "redis://unused"}),
    )


def test_the_api_needs_a_working_group_key(wg: Harness) -> None:
    assert wg.client.get("/api/v1/wg/inbox").status_code == 401
    with make_sessionmaker(wg.engine)() as session:
        portal = auth(portal_key(session))
        issued = keys.create_key(session, working_group_id="cj-cft")
        keys.revoke_key(session, issued.key_row.id)
    assert wg.client.get("/api/v1/wg/inbox", headers=portal).status_code == 401
    revoked = wg.client.get("/api/v1/wg/inbox", headers=auth(issued.key))
    assert revoked.status_code == 401
    assert revoked.json()["error"] == "unauthenticated"


def test_a_group_never_sees_another_groups_assignments(wg: Harness) -> None:
    [ours] = wg.assignments(1, "cj-cft")
    [theirs] = wg.assignments(1, "bm-le")
    key = wg.group_key("cj-cft")
    inbox = wg.client.get("/api/v1/wg/inbox", headers=key).json()
    assert [item["id"] for item in inbox["items"]] == [ours]
    for path in (f"/api/v1/wg/assignments/{theirs}", f"/api/v1/wg/assignments/{uuid.uuid4()}"):
        assert wg.client.get(path, headers=key).status_code == 404
    assert (
        wg.client.post(f"/api/v1/wg/assignments/{theirs}/acknowledge", headers=key).status_code
        == 404
    )
    claimed = wg.claim(key, "worker-1", count=10)
    assert [item["id"] for item in claimed["items"]] == [ours]  # type: ignore[index]


def test_a_claim_hides_entries_until_their_visibility_timeout(wg: Harness) -> None:
    ids = wg.assignments(3)
    key = wg.group_key()
    first = wg.claim(key, "worker-1", count=2, visibility_timeout=0.3)["items"]
    assert len(first) == 2  # type: ignore[arg-type]
    assert all(i["claimed_by"] == "worker-1" and i["delivery_count"] == 1 for i in first)  # type: ignore[union-attr]
    second = wg.claim(key, "worker-2", count=5, visibility_timeout=0.3)["items"]
    claimed = [i["id"] for i in [*first, *second]]  # type: ignore[misc]
    assert sorted(claimed) == sorted(ids)
    assert wg.claim(key, "worker-2", count=5)["items"] == []
    time.sleep(0.4)
    again = wg.claim(key, "worker-3", count=5)
    assert {i["id"] for i in again["items"]} == set(ids)  # type: ignore[union-attr]
    assert all(i["delivery_count"] == 2 and i["claimed_by"] == "worker-3" for i in again["items"])  # type: ignore[union-attr]


def test_acknowledged_entries_are_not_delivered_again(wg: Harness) -> None:
    ids = wg.assignments(2)
    key = wg.group_key()
    wg.claim(key, "worker-1", count=2, visibility_timeout=0.2)
    ack = wg.client.post(f"/api/v1/wg/assignments/{ids[0]}/acknowledge", headers=key)
    assert ack.status_code == 200
    assert ack.json()["status"] == "acknowledged"
    time.sleep(0.3)
    again = wg.claim(key, "worker-2", count=5)
    assert [i["id"] for i in again["items"]] == [ids[1]]  # type: ignore[index]
    if wg.queue is not None:
        pending = wg.queue.xpending(stream_name("cj-cft"), CONSUMER_GROUP)
        assert pending["pending"] == 1


@pytest.mark.redis
def test_an_entry_claimed_before_its_dispatch_commits_is_still_delivered(
    api: TestClient, tuned: Settings, redis_client: "redis.Redis", redis_wg_app: TestClient
) -> None:
    """A consumer may claim an entry between the dispatcher's XADD and its commit; the entry
    must neither be acknowledged unseen nor be lost."""
    wg = Harness(redis_wg_app, redis_client, tuned)
    [request_id] = routed_requests(wg.engine, 1, groups=("cj-cft",))
    key = wg.group_key()
    early: dict[str, object] = {}

    class ClaimedAtOnce(StreamQueue):
        def publish(self, items: "list[Publication]") -> list[str]:  # type: ignore[override]
            entry_ids = super().publish(items)
            claimer = threading.Thread(target=lambda: early.update(wg.claim(key, "early")))
            claimer.start()
            claimer.join(timeout=1.0)  # returns at once if the claim does not wait for us
            threads.append(claimer)
            return entry_ids

    threads: list[threading.Thread] = []
    worker = Dispatcher(wg.settings, engine=wg.engine, redis_client=redis_client)
    worker.queue = ClaimedAtOnce(redis_client)
    worker.drain()
    worker.close()
    for claimer in threads:
        claimer.join(timeout=10)
    [assignment_id] = column(
        wg.engine, select(Assignment.id).where(Assignment.request_id == request_id)
    )
    delivered = [item["id"] for item in early["items"]]  # type: ignore[attr-defined]
    assert delivered == [str(assignment_id)]
    pending = redis_client.xpending(stream_name("cj-cft"), CONSUMER_GROUP)
    assert pending["pending"] == 1


@pytest.mark.redis
def test_acknowledged_entries_past_their_retention_leave_the_stream(
    api: TestClient, tuned: Settings, redis_client: "redis.Redis", redis_wg_app: TestClient
) -> None:
    wg = Harness(redis_wg_app, redis_client, tuned)
    ids = wg.assignments(4)
    key = wg.group_key()
    wg.claim(key, "worker-1", count=4)
    for done in (ids[0], ids[2]):
        ack = wg.client.post(f"/api/v1/wg/assignments/{done}/acknowledge", headers=key)
        assert ack.status_code == 200
    [undelivered] = wg.assignments(1)
    stream = stream_name("cj-cft")
    entries = [entry_id.decode() for entry_id, _ in redis_client.xrange(stream)]
    assert len(entries) == 5

    def retire(retention: float) -> int:
        settings = wg.settings.model_copy(update={"dispatch_stream_retention": retention})
        worker = Dispatcher(settings, engine=wg.engine, redis_client=redis_client)
        try:
            return worker.retire_once()
        finally:
            worker.close()

    assert retire(3600) == 0  # acknowledged, but not yet old enough
    # Another system's group that has read nothing yet holds every entry.
    redis_client.xgroup_create(stream, "archive", id="0")
    assert retire(0) == 0
    redis_client.xgroup_destroy(stream, "archive")
    # The first entry goes; the third, acknowledged too, stays behind the pending second,
    # and the fourth (pending) and fifth (never handed out) stay.
    assert retire(0) == 1
    assert [entry_id.decode() for entry_id, _ in redis_client.xrange(stream)] == entries[1:]
    marks = {v.decode() for v in redis_client.hgetall(published_key("cj-cft")).values()}
    assert marks == set(entries[1:])
    # Nothing retired is published again: the database holds it as acknowledged.
    worker = Dispatcher(wg.settings, engine=wg.engine, redis_client=redis_client)
    assert worker.reconcile_once() == 0
    worker.close()
    # Once the rest are acknowledged (the fifth after its own claim), they all go.
    wg.claim(key, "worker-2", count=4)
    for done in (ids[1], ids[3], undelivered):
        ack = wg.client.post(f"/api/v1/wg/assignments/{done}/acknowledge", headers=key)
        assert ack.status_code == 200
    assert retire(0) == 4
    assert redis_client.xlen(stream) == 0
    assert redis_client.hlen(published_key("cj-cft")) == 0
    assert retire(0) == 0


def test_entries_delivered_too_often_go_to_the_dead_letters(wg: Harness) -> None:
    [aid] = wg.assignments(1)
    key = wg.group_key()
    for expected in (1, 2):
        items = wg.claim(key, "flaky", visibility_timeout=0.2)["items"]
        assert [i["delivery_count"] for i in items] == [expected]  # type: ignore[index]
        time.sleep(0.25)
    third = wg.claim(key, "flaky", visibility_timeout=0.2)
    assert third == {"items": [], "dead_lettered": 1}
    dead = wg.client.get("/api/v1/wg/dead-letters", headers=key).json()
    assert [(d["id"], d["dead_lettered"]) for d in dead] == [(aid, True)]
    assert wg.claim(key, "flaky")["items"] == []
    if wg.queue is not None:
        assert wg.queue.xlen("triage:wg:cj-cft:dead") == 1
    other = wg.client.get("/api/v1/wg/dead-letters", headers=wg.group_key("bm-le")).json()
    assert other == []
    assert (
        wg.client.post(f"/api/v1/wg/assignments/{aid}/acknowledge", headers=key).status_code == 200
    )
    assert wg.client.get("/api/v1/wg/dead-letters", headers=key).json() == []


def test_transitions_repeat_idempotently_and_refuse_illegal_moves(wg: Harness) -> None:
    [aid] = wg.assignments(1)
    key = wg.group_key()
    base = f"/api/v1/wg/assignments/{aid}"
    assert wg.client.post(f"{base}/complete", headers=key).status_code == 409
    assert wg.client.post(f"{base}/decline", headers=key, json={"reason": "  "}).status_code == 422
    assert wg.client.post(f"{base}/decline", headers=key, json={}).status_code == 422
    for step, status in (
        ("acknowledge", "acknowledged"),
        ("acknowledge", "acknowledged"),
        ("start", "in_progress"),
        ("start", "in_progress"),
    ):
        response = wg.client.post(f"{base}/{step}", headers=key)
        assert (response.status_code, response.json()["status"]) == (200, status)
    conflict = wg.client.post(f"{base}/acknowledge", headers=key)
    assert conflict.status_code == 409
    assert conflict.json()["error"] == "invalid_transition"
    declined = wg.client.post(f"{base}/decline", headers=key, json={"reason": "outside mandate"})
    assert declined.json()["status"] == "declined"
    assert declined.json()["decline_reason"] == "outside mandate"
    again = wg.client.post(f"{base}/decline", headers=key, json={"reason": "another"})
    assert again.status_code == 200
    assert again.json()["decline_reason"] == "outside mandate"
    assert wg.client.post(f"{base}/complete", headers=key).status_code == 409


def test_transitions_are_audited_and_move_the_request_for_its_portal(wg: Harness) -> None:
    with make_sessionmaker(wg.engine)() as session:
        portal = auth(portal_key(session))
    [aid] = wg.assignments(1)
    [request_id] = column(
        wg.engine, select(Assignment.request_id).where(Assignment.id == uuid.UUID(aid))
    )
    key = wg.group_key()
    seen = []
    for step in ("acknowledge", "start", "complete"):
        assert wg.client.post(f"/api/v1/wg/assignments/{aid}/{step}", headers=key).is_success
        seen.append(
            wg.client.get(f"/api/v1/requests/{request_id}", headers=portal).json()["status"]
        )
    assert seen == ["acknowledged", "in_progress", "completed"]
    actions = column(
        wg.engine,
        select(AuditEvent.action)
        .where(AuditEvent.request_id == request_id)
        .order_by(AuditEvent.id),
    )
    assert actions == [
        "assignment.dispatched",
        "assignment.acknowledged",
        "assignment.in_progress",
        "assignment.completed",
    ]
    detail = wg.client.get(f"/api/v1/wg/assignments/{aid}", headers=key).json()
    assert detail["body"].startswith("Training")
    assert detail["sla"]["time_to_ack_seconds"] >= 0
    assert "assignment.read" in column(wg.engine, select(AuditEvent.action))


def test_assignments_past_their_acknowledgement_limit_are_flagged_overdue(wg: Harness) -> None:
    late, fresh = wg.assignments(2)
    key = wg.group_key()
    with wg.engine.begin() as conn:
        conn.execute(
            update(Assignment)
            .where(Assignment.id == uuid.UUID(late))
            .values(dispatched_at=utcnow() - timedelta(hours=100))
        )
    overdue = wg.client.get("/api/v1/wg/inbox", params={"overdue": "true"}, headers=key).json()
    assert [(i["id"], i["overdue"], i["sla"]["ack_breached"]) for i in overdue["items"]] == [
        (late, True, True)
    ]
    on_time = wg.client.get("/api/v1/wg/inbox", params={"overdue": "false"}, headers=key).json()
    assert [(i["id"], i["overdue"]) for i in on_time["items"]] == [(fresh, False)]
    with make_sessionmaker(wg.engine)() as session:
        found = sla.overdue_assignments(session)
    assert [(str(o.assignment_id), o.waiting_for) for o in found] == [(late, "acknowledgement")]


def test_inbox_pages_with_a_cursor_and_filters_by_status(wg: Harness) -> None:
    ids = wg.assignments(5)
    key = wg.group_key()
    wg.client.post(f"/api/v1/wg/assignments/{ids[0]}/acknowledge", headers=key)
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params: dict[str, object] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = wg.client.get("/api/v1/wg/inbox", params=params, headers=key).json()
        seen += [i["id"] for i in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert sorted(seen) == sorted(ids)
    assert len(seen) == 5
    acked = wg.client.get("/api/v1/wg/inbox", params={"status": "acknowledged"}, headers=key).json()
    assert [i["id"] for i in acked["items"]] == [ids[0]]
    assert (
        wg.client.get("/api/v1/wg/inbox", params={"cursor": "nonsense"}, headers=key).status_code
        == 422
    )


def test_create_wg_key_prints_the_key_alone_on_the_last_line(
    api: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIAGE_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["create-wg-key", "--group", "cj-cft"])
        unknown = CliRunner().invoke(cli, ["create-wg-key", "--group", "nobody"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("twk_")
    inbox = api.get("/api/v1/wg/inbox", headers=auth(key))
    assert inbox.status_code == 200
    assert inbox.json()["items"] == []
    assert unknown.exit_code == 2
