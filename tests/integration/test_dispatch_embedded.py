"""The dispatcher over the embedded queue (no Redis): the outbox becomes dispatched
assignments exactly once, whatever runs concurrently, crashes or loses the database."""

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.dispatch.dispatcher import Dispatcher
from app.dispatch.models import Assignment
from app.intake.models import AssistanceRequest
from app.settings import Settings
from tests.factories import auth, portal_key, request_body
from tests.integration.dispatch_support import (
    column,
    routed_requests,
    rows,
    unpublished,
)


def _engine(api: TestClient) -> Engine:
    return api.app.state.engine  # type: ignore[attr-defined,no-any-return]


def assert_dispatched_once(
    engine: Engine, request_ids: list[uuid.UUID], *, per_request: int = 1
) -> None:
    """Every assignment of these requests dispatched, each with exactly one audit event."""
    expected = len(request_ids) * per_request
    assert Counter(column(engine, select(Assignment.status))) == {"dispatched": expected}
    events = Counter(
        column(
            engine,
            select(AuditEvent.details["assignment_id"].as_string()).where(
                AuditEvent.action == "assignment.dispatched"
            ),
        )
    )
    assert len(events) == expected
    assert set(events.values()) == {1}
    requests = Counter(column(engine, select(AssistanceRequest.status)))
    assert requests == {"dispatched": len(request_ids)}
    assert unpublished(engine) == 0


def test_routed_submission_is_dispatched_to_its_working_group(
    api: TestClient, session: Session, settings: Settings
) -> None:
    key = portal_key(session)
    created = api.post("/api/v1/requests", json=request_body(), headers=auth(key)).json()
    Dispatcher(settings, engine=_engine(api)).drain()
    assignments = rows(
        _engine(api),
        select(
            Assignment.working_group_id,
            Assignment.status,
            Assignment.dispatched_at,
            Assignment.stream_entry_id,
        ).where(Assignment.request_id == uuid.UUID(created["id"])),
    )
    if created["triage"]["decision"] != "auto_routed":
        assert assignments == []
        return
    assert {a.working_group_id for a in assignments} >= {created["triage"]["working_group"]["id"]}
    assert all(a.status == "dispatched" and a.dispatched_at for a in assignments)
    assert all(a.stream_entry_id is None for a in assignments)
    read = api.get(f"/api/v1/requests/{created['id']}", headers=auth(key)).json()
    assert read["status"] == "dispatched"


def test_dispatching_twice_changes_nothing_the_second_time(
    api: TestClient, session: Session, settings: Settings
) -> None:
    ids = routed_requests(_engine(api), 30, groups=("cj-cft", "bm-le"))
    worker = Dispatcher(settings, engine=_engine(api), batch_size=7)
    worker.drain()
    worker.drain()
    assert_dispatched_once(_engine(api), ids, per_request=2)


def test_needs_review_and_out_of_scope_requests_are_never_dispatched(
    api: TestClient, session: Session, settings: Settings
) -> None:
    key = portal_key(session, state="PER")
    text = (
        "El Ministerio de Salud solicita asistencia para ampliar los programas de "
        "tratamiento de la dependencia de drogas en escuelas secundarias de Lima."
    )
    created = api.post(
        "/api/v1/requests", json=request_body(text, state="PER"), headers=auth(key)
    ).json()
    assert created["triage"]["decision"] != "auto_routed"
    Dispatcher(settings, engine=_engine(api)).drain()
    assert column(_engine(api), select(Assignment.id)) == []
    assert column(_engine(api), select(AssistanceRequest.status)) == [created["status"]]


def test_dispatchers_in_threads_dispatch_each_assignment_once(
    api: TestClient, settings: Settings
) -> None:
    """Competing dispatchers with their own connections; see also test_dispatch_drills."""
    ids = routed_requests(_engine(api), 600, groups=("cj-cft", "wmd-cbrn"))
    workers = [Dispatcher(settings, batch_size=20, name=f"thread-{n}") for n in range(3)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda w: w.drain(timeout=60), workers))
    for worker in workers:
        worker.close()
    assert_dispatched_once(_engine(api), ids, per_request=2)
