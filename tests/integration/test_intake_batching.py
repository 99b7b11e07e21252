"""Group commit: submissions classified and stored together, each with its own outcome."""

import asyncio
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.auth.models import PortalClient
from app.catalogue.loader import get_catalogue
from app.db import utcnow
from app.errors import AppError
from app.intake import service
from app.intake.batching import IntakeBatcher, batch_sessions
from app.intake.models import AssistanceRequest
from app.intake.schemas import AssistanceRequestCreate
from app.routing import service as routing_service
from app.routing.models import RoutingRule
from app.triage.models import TriageResult
from ml.classifier import Classifier
from tests.factories import auth, portal_key, request_body

TEXTS = [
    "The Ministry of Justice asks for help drafting a law to ratify the International "
    "Convention for the Suppression of the Financing of Terrorism.",
    "Le ministère de l'Intérieur sollicite une formation des procureurs à la preuve "
    "électronique et à la coopération avec les fournisseurs de services.",
    "La Dirección de Prisiones solicita apoyo para la gestión de los reclusos extremistas "
    "violentos y la prevención de la radicalización en las cárceles.",
    "Министерство внутренних дел просит помочь в создании биометрической системы "
    "на пограничных пунктах пропуска в соответствии с резолюцией 2396.",
]


def _classifier(api: TestClient) -> Classifier:
    classifier: Classifier = api.app.state.classifiers.get()  # type: ignore[attr-defined]
    return classifier


def _portal(session: Session, key: str) -> PortalClient:
    return auth_service.authenticate_portal(session, key)


def _intake(portal: PortalClient, text: str, *, key: str | None = None, state: str = "NGA") -> Any:
    return service.Intake(
        body=AssistanceRequestCreate.model_validate(request_body(text, state=state)),
        portal=portal,
        idempotency_key=key,
    )


def _submit_many(api: TestClient, session: Session, intakes: Sequence[Any]) -> list[Any]:
    return service.submit_many(
        session,
        intakes,
        classifier=_classifier(api),
        catalogue=get_catalogue(),
        reference_prefix="TA",
    )


def test_a_batch_is_classified_in_one_pass_and_numbered_in_order(
    api: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    portal = _portal(session, portal_key(session))
    classifier = _classifier(api)
    passes: list[int] = []
    real = classifier.predict_many

    def counted(texts: Sequence[str], **kwargs: Any) -> Any:
        passes.append(len(texts))
        return real(texts, **kwargs)

    monkeypatch.setattr(classifier, "predict_many", counted)
    outcomes = _submit_many(api, session, [_intake(portal, text) for text in TEXTS])

    assert passes == [len(TEXTS)]
    numbers = [int(o.read.reference.rsplit("-", 1)[1]) for o in outcomes]
    assert numbers == list(range(numbers[0], numbers[0] + len(TEXTS)))
    assert [o.read.body for o in outcomes] == TEXTS
    assert [o.read.language for o in outcomes] == ["en", "fr", "es", "ru"]
    ids = [uuid.UUID(o.read.id) for o in outcomes]
    stored = {
        r.id: r
        for r in session.scalars(select(AssistanceRequest).where(AssistanceRequest.id.in_(ids)))
    }
    assert set(stored) == set(ids)
    for outcome in outcomes:
        request = stored[uuid.UUID(outcome.read.id)]
        result = session.get(TriageResult, request.current_triage_id)
        assert result is not None
        assert result.decision == outcome.read.triage.decision
        assert request.reference == outcome.read.reference
    events = session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.request_id.in_(ids))
    )
    assert events == 2 * len(TEXTS)  # received and triaged, for each


def test_a_batch_takes_as_many_statements_whatever_its_size(
    api: TestClient, session: Session
) -> None:
    """Round trips, not rows, are what a batch pays for under load: on PostgreSQL, two (the
    keys, stored Idempotency-Keys and routes, with the references reserved; every row),
    outside explicit transactions, on one connection taken from the pool once."""
    engine = api.app.state.engine  # type: ignore[attr-defined]
    sessions = batch_sessions(engine, api.app.state.sessionmaker)  # type: ignore[attr-defined]
    portal = _portal(session, portal_key(session))
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    checkouts: list[object] = []

    def checked_out(*args: Any) -> None:
        checkouts.append(args[0])

    counts, checkout_counts = [], []
    event.listen(engine, "before_cursor_execute", count)
    event.listen(engine.pool, "checkout", checked_out)
    try:
        for size in (1, len(TEXTS)):
            statements.clear()
            checkouts.clear()
            with sessions() as batch:
                intakes = [
                    _intake(portal, t, key=f"{size}-{n}") for n, t in enumerate(TEXTS[:size])
                ]
                outcomes = _submit_many(api, batch, intakes)
                if engine.dialect.name == "postgresql":
                    assert batch.connection().connection.driver_connection.autocommit
            assert all(isinstance(o, service.Submission) and not o.replayed for o in outcomes)
            counts.append(len(statements))
            checkout_counts.append(len(checkouts))
        with sessions() as batch:
            [retried] = _submit_many(api, batch, [_intake(portal, TEXTS[2], key="4-2")])
    finally:
        event.remove(engine, "before_cursor_execute", count)
        event.remove(engine.pool, "checkout", checked_out)

    assert counts[0] == counts[1]
    if engine.dialect.name == "postgresql":
        assert counts == [2, 2]
        assert checkout_counts == [1, 1]
    assert isinstance(retried, service.Submission)
    assert retried.replayed
    assert retried.read.id == outcomes[2].read.id


def test_a_batch_routes_by_the_newest_rule_in_force(api: TestClient, session: Session) -> None:
    """The batch's routes (one aggregate on PostgreSQL) are the routing table's: a newer rule
    wins, one not yet in force does not."""
    portal = _portal(session, portal_key(session))
    [first] = _submit_many(api, session, [_intake(portal, TEXTS[0])])
    area = first.read.triage.areas[0].id
    current = first.read.triage.working_group.id
    other = next(g.id for g in get_catalogue().working_groups if g.id != current)
    later = next(g.id for g in get_catalogue().working_groups if g.id not in (current, other))
    now = utcnow()
    session.add_all(
        [
            RoutingRule(area_id=area, working_group_id=other, valid_from=now, created_by="t"),
            RoutingRule(
                area_id=area,
                working_group_id=later,
                valid_from=now + timedelta(days=1),
                created_by="t",
            ),
        ]
    )
    session.commit()
    try:
        [rerouted] = _submit_many(api, session, [_intake(portal, TEXTS[0])])
        intake = _intake(portal, TEXTS[0])
        routes = service._read_context(session, [intake], [], year=2026).routes
        assert routes == routing_service.current_routes(session)
    finally:
        session.rollback()
        session.execute(delete(RoutingRule).where(RoutingRule.created_by == "t"))
        session.commit()

    assert rerouted.read.triage.areas[0].id == area
    assert rerouted.read.triage.working_group.id == other
    assert routes[area].working_group_id == other


def test_each_intake_of_a_batch_gets_its_own_outcome(api: TestClient, session: Session) -> None:
    nigeria = _portal(session, portal_key(session))
    revoked_key = portal_key(session, state="GHA")
    ghana = _portal(session, revoked_key)
    auth_service.revoke_api_key(session, ghana.id)
    outcomes = _submit_many(
        api,
        session,
        [
            _intake(nigeria, TEXTS[0], key="k-1"),
            _intake(ghana, TEXTS[1], state="GHA"),  # revoked after its key was checked
            _intake(nigeria, TEXTS[2], state="KEN"),  # not this key's State
            _intake(nigeria, TEXTS[0], key="k-1"),  # the first one, sent twice
            _intake(nigeria, TEXTS[3], key="k-1"),  # the same key, another body
            _intake(nigeria, TEXTS[3]),
        ],
    )

    first, revoked, mismatch, repeat, conflict, last = outcomes
    assert not first.replayed
    assert not last.replayed
    assert isinstance(revoked, AppError)
    assert revoked.status_code == 401
    assert isinstance(mismatch, AppError)
    assert mismatch.status_code == 422
    assert repeat.replayed
    assert repeat.read.id == first.read.id
    assert isinstance(conflict, AppError)
    assert conflict.code == "idempotency_conflict"
    assert session.scalar(select(func.count()).select_from(AssistanceRequest)) == 2


def _number(outcome: Any) -> int:
    return int(outcome.read.reference.rsplit("-", 1)[1])


def test_only_new_requests_take_a_reference_number(api: TestClient, session: Session) -> None:
    """The batch's read reserves the numbers (in the same statement on PostgreSQL) for the
    requests it will store: a refused, replayed or repeated intake takes none, and a batch
    with nothing new reserves nothing, so the year's numbers run on without gaps."""
    nigeria = _portal(session, portal_key(session))
    ghana = _portal(session, portal_key(session, state="GHA"))
    auth_service.revoke_api_key(session, ghana.id)
    [before] = _submit_many(api, session, [_intake(nigeria, TEXTS[0], key="n-0")])
    first, revoked, mismatch, replay, repeat, last = _submit_many(
        api,
        session,
        [
            _intake(nigeria, TEXTS[1], key="n-1"),
            _intake(ghana, TEXTS[1], state="GHA"),
            _intake(nigeria, TEXTS[2], state="KEN"),
            _intake(nigeria, TEXTS[0], key="n-0"),  # stored by the batch before
            _intake(nigeria, TEXTS[1], key="n-1"),  # the first of this batch, sent twice
            _intake(nigeria, TEXTS[3]),
        ],
    )
    [replayed_only] = _submit_many(api, session, [_intake(nigeria, TEXTS[0], key="n-0")])
    [after] = _submit_many(api, session, [_intake(nigeria, TEXTS[2])])

    assert isinstance(revoked, AppError)
    assert isinstance(mismatch, AppError)
    assert replay.replayed
    assert repeat.replayed
    assert replayed_only.replayed
    numbers = [_number(o) for o in (before, first, last, after)]
    assert numbers == list(range(numbers[0], numbers[0] + 4))


def test_a_lost_race_for_an_idempotency_key_replays_the_winner(
    api: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = portal_key(session)
    winner = api.post(
        "/api/v1/requests",
        json=request_body(TEXTS[0]),
        headers={**auth(key), "Idempotency-Key": "r"},
    )
    assert winner.status_code == 201
    portal = _portal(session, key)
    # The batch's read misses the winner, as it would when both commit at the same moment:
    # its write then fails on the unique key, and each intake is tried again on its own.
    real = service._existing
    misses = iter([True])
    monkeypatch.setattr(
        service, "_existing", lambda s, keys: {} if next(misses, False) else real(s, keys)
    )
    replay, other = _submit_many(
        api, session, [_intake(portal, TEXTS[0], key="r"), _intake(portal, TEXTS[1])]
    )

    assert replay.replayed
    assert replay.read.id == winner.json()["id"]
    assert not other.replayed
    assert session.scalar(select(func.count()).select_from(AssistanceRequest)) == 2


def test_a_key_revoked_while_cached_is_refused_at_once(api: TestClient, session: Session) -> None:
    key = portal_key(session)
    assert api.post("/api/v1/requests", json=request_body(), headers=auth(key)).status_code == 201
    auth_service.revoke_api_key(session, _portal_id(session, key))
    refused = api.post("/api/v1/requests", json=request_body(), headers=auth(key))
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    assert session.scalar(select(func.count()).select_from(AssistanceRequest)) == 1


def _portal_id(session: Session, key: str) -> uuid.UUID:
    prefix = auth_service.key_prefix(key)
    found = session.scalar(select(PortalClient.id).where(PortalClient.key_prefix == prefix))
    assert found is not None
    return found


class _Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.fail = fail

    def __call__(self, intakes: Sequence[Any]) -> list[Any]:
        self.batches.append([i for i in intakes])
        if self.fail:
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        return [f"stored {i}" for i in intakes]


def test_waiting_submissions_go_together_and_each_gets_its_answer() -> None:
    recorder = _Recorder()

    async def run() -> list[Any]:
        batcher = IntakeBatcher(recorder, runners=1)
        answers = await asyncio.gather(*(batcher.submit(f"r{n}") for n in range(10)))  # type: ignore[arg-type]
        await batcher.close()
        return answers

    answers = asyncio.run(run())
    assert answers == [f"stored r{n}" for n in range(10)]
    assert sorted(i for batch in recorder.batches for i in batch) == [f"r{n}" for n in range(10)]
    assert len(recorder.batches) < 10  # they waited together, not one by one


def test_a_failed_batch_fails_each_of_its_submissions() -> None:
    recorder = _Recorder(fail=True)

    async def run() -> list[Any]:
        batcher = IntakeBatcher(recorder)
        answers = await asyncio.gather(
            *(batcher.submit(f"r{n}") for n in range(5)),  # type: ignore[arg-type]
            return_exceptions=True,
        )
        await batcher.close()
        return answers

    answers = asyncio.run(run())
    assert len(answers) == 5
    assert all(isinstance(a, OperationalError) for a in answers)


def test_the_batcher_outlives_a_batch_that_went_wrong() -> None:
    calls = []

    def short_of_outcomes(intakes: Sequence[Any]) -> list[Any]:
        calls.append(len(intakes))
        return [] if len(calls) == 1 else [f"stored {i}" for i in intakes]

    async def run() -> tuple[Any, Any]:
        batcher = IntakeBatcher(short_of_outcomes)
        first = await asyncio.gather(batcher.submit("r1"), return_exceptions=True)  # type: ignore[arg-type]
        second = await batcher.submit("r2")  # type: ignore[arg-type]
        await batcher.close()
        return first[0], second

    first, second = asyncio.run(run())
    assert isinstance(first, RuntimeError)
    assert second == "stored r2"
