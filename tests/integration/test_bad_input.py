"""Bad input gets a clear 4xx naming the problem, and nothing is stored."""

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth import service as auth_service
from app.auth.models import PortalClient
from app.intake.models import AssistanceRequest
from tests.factories import auth, portal_key, request_body


def _stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AssistanceRequest)) or 0


def test_missing_key_is_401(api: TestClient, session: Session) -> None:
    response = api.post("/api/v1/requests", json=request_body())
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"
    assert response.headers["www-authenticate"] == "Bearer"
    assert _stored(session) == 0


@pytest.mark.parametrize(
    "header",
    [
        "Bearer tak_000000000000_notarealkey",
        "Bearer garbage",
        "Basic dXNlcjpwYXNz",
        "Bearer ",
    ],
)
def test_invalid_key_is_401(api: TestClient, session: Session, header: str) -> None:
    portal_key(session)
    response = api.post("/api/v1/requests", json=request_body(), headers={"Authorization": header})
    assert response.status_code == 401
    assert _stored(session) == 0


def test_key_with_right_prefix_but_wrong_secret_is_401(api: TestClient, session: Session) -> None:
    key = portal_key(session)
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert api.get("/api/v1/requests", headers=auth(forged)).status_code == 401


def test_revoked_key_is_401(api: TestClient, session: Session) -> None:
    key = portal_key(session)
    client = session.scalars(select(PortalClient)).one()
    auth_service.revoke_api_key(session, client.id)
    response = api.post("/api/v1/requests", json=request_body(), headers=auth(key))
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert _stored(session) == 0


@pytest.mark.parametrize(("state", "why"), [("XYZ", "not a known"), ("GHA", "not GHA")])
def test_requesting_state_unknown_or_not_the_keys_is_422(
    api: TestClient, session: Session, state: str, why: str
) -> None:
    key = portal_key(session, state="NGA")
    response = api.post("/api/v1/requests", json=request_body(state=state), headers=auth(key))
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "requesting_state"]
    assert why in detail["msg"] or state in detail["msg"]
    assert _stored(session) == 0


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "   \n\t "}, "body"),
        ({"body": "x" * 20_001}, "body"),
        ({"body": "request\x00with NUL"}, "body"),
        ({"body": "bell\x07character"}, "body"),
        ({"title": "title with \x1b escape"}, "title"),
        ({"contact": "c\x00"}, "contact"),
        ({"requesting_state": "ng"}, "requesting_state"),
        ({"language": "de"}, "language"),
        ({"body": 42}, "body"),
        ({"unexpected": "field"}, "unexpected"),
    ],
)
def test_invalid_fields_are_422_naming_the_field(
    api: TestClient, session: Session, patch: dict[str, object], field: str
) -> None:
    key = portal_key(session)
    response = api.post("/api/v1/requests", json={**request_body(), **patch}, headers=auth(key))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "validation_error"
    assert any(field in map(str, item["loc"]) for item in body["detail"]), body
    assert _stored(session) == 0


def test_missing_body_field_is_422(api: TestClient, session: Session) -> None:
    key = portal_key(session)
    response = api.post("/api/v1/requests", json={"requesting_state": "NGA"}, headers=auth(key))
    assert response.status_code == 422
    assert ["body", "body"] in [item["loc"] for item in response.json()["detail"]]


def test_body_of_exactly_20000_characters_is_accepted(api: TestClient, session: Session) -> None:
    key = portal_key(session)
    text = ("Training on countering the financing of terrorism for the FIU. " * 400)[:20_000]
    response = api.post("/api/v1/requests", json=request_body(text), headers=auth(key))
    assert response.status_code == 201


@pytest.mark.parametrize("raw", [b"{", b"not json", b'{"body": "x",}', b"[]", b"null", b"\xff\xfe"])
def test_malformed_json_is_422(api: TestClient, session: Session, raw: bytes) -> None:
    key = portal_key(session)
    response = api.post(
        "/api/v1/requests", content=raw, headers={**auth(key), "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert _stored(session) == 0


def test_json_over_256_kb_is_413(api: TestClient, session: Session) -> None:
    key = portal_key(session)
    raw = json.dumps({**request_body(), "title": "t" * (300 * 1024)}).encode()
    response = api.post(
        "/api/v1/requests", content=raw, headers={**auth(key), "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert _stored(session) == 0


def test_json_over_256_kb_without_content_length_is_413(api: TestClient, session: Session) -> None:
    key = portal_key(session)
    chunk = b" " * 65536

    def stream():  # type: ignore[no-untyped-def]
        yield b'{"body": "x", "requesting_state": "NGA"'
        for _ in range(6):
            yield chunk
        yield b"}"

    response = api.post(
        "/api/v1/requests",
        content=stream(),
        headers={**auth(key), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert _stored(session) == 0


def test_unsupported_content_type_is_422(api: TestClient, session: Session) -> None:
    key = portal_key(session)
    response = api.post(
        "/api/v1/requests", content=b"body=x", headers={**auth(key), "Content-Type": "text/plain"}
    )
    assert response.status_code == 422
    assert _stored(session) == 0


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"status": "bogus"},
        {"cursor": "!!!"},
        {"cursor": "bm90LWEtY3Vyc29y"},
        {"received_from": "yesterday"},
    ],
)
def test_bad_list_parameters_are_422(
    api: TestClient, session: Session, params: dict[str, object]
) -> None:
    key = portal_key(session)
    response = api.get("/api/v1/requests", params=params, headers=auth(key))
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("bad", [b"", b" ", "é-key".encode(), b"x" * 201])
def test_bad_idempotency_key_is_422(api: TestClient, session: Session, bad: bytes) -> None:
    key = portal_key(session)
    headers: dict[str, str | bytes] = {**auth(key), "Idempotency-Key": bad}
    response = api.post("/api/v1/requests", json=request_body(), headers=headers)
    assert response.status_code == 422
    assert _stored(session) == 0


def test_unknown_route_and_method_answer_json(api: TestClient) -> None:
    missing = api.get("/api/v1/nothing")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    wrong = api.delete("/api/v1/requests")
    assert wrong.status_code == 405
    assert wrong.json()["error"] == "method_not_allowed"
