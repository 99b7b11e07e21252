"""Idempotency-Key: replays, conflicts, and concurrent identical submissions."""

from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.intake.models import AssistanceRequest
from tests.factories import auth, portal_key, request_body


def _stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AssistanceRequest)) or 0


def test_same_key_and_body_replays_the_original_response(api: TestClient, session: Session) -> None:
    key = portal_key(session)
    headers = {**auth(key), "Idempotency-Key": "note-2026-117"}
    first = api.post("/api/v1/requests", json=request_body(), headers=headers)
    second = api.post("/api/v1/requests", json=request_body(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert _stored(session) == 1


def test_same_key_with_another_body_is_409(api: TestClient, session: Session) -> None:
    key = portal_key(session)
    headers = {**auth(key), "Idempotency-Key": "note-2026-118"}
    assert api.post("/api/v1/requests", json=request_body(), headers=headers).status_code == 201
    other = api.post(
        "/api/v1/requests", json=request_body("A different request text."), headers=headers
    )
    assert other.status_code == 409
    assert other.json()["error"] == "idempotency_conflict"
    assert _stored(session) == 1


def test_idempotency_keys_are_scoped_to_the_portal(api: TestClient, session: Session) -> None:
    first = portal_key(session, state="NGA")
    second = portal_key(session, state="GHA")
    one = api.post(
        "/api/v1/requests",
        json=request_body(),
        headers={**auth(first), "Idempotency-Key": "shared"},
    )
    two = api.post(
        "/api/v1/requests",
        json=request_body(state="GHA"),
        headers={**auth(second), "Idempotency-Key": "shared"},
    )
    assert one.status_code == two.status_code == 201
    assert one.json()["id"] != two.json()["id"]


def test_twenty_concurrent_identical_submissions_store_exactly_one(
    live: str, session: Session
) -> None:
    key = portal_key(session)
    headers = {**auth(key), "Idempotency-Key": "concurrent-1"}

    def submit(_: int) -> httpx.Response:
        return httpx.post(
            f"{live}/api/v1/requests", json=request_body(), headers=headers, timeout=60
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(submit, range(20)))
    assert [r.status_code for r in responses] == [201] * 20
    assert len({r.json()["id"] for r in responses}) == 1
    assert len({r.json()["reference"] for r in responses}) == 1
    assert _stored(session) == 1
