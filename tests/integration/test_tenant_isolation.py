"""A State's portal can never read, list, count or infer another State's requests."""

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import auth, portal_key, request_body


def _submit(api: TestClient, key: str, state: str, **extra: object) -> dict[str, object]:
    response = api.post(
        "/api/v1/requests", json=request_body(state=state, **extra), headers=auth(key)
    )
    assert response.status_code == 201
    return response.json()  # type: ignore[no-any-return]


def test_portal_cannot_read_another_states_request(api: TestClient, session: Session) -> None:
    nga, gha = portal_key(session, state="NGA"), portal_key(session, state="GHA")
    theirs = _submit(api, nga, "NGA")
    response = api.get(f"/api/v1/requests/{theirs['id']}", headers=auth(gha))
    assert response.status_code == 404
    unknown = api.get(f"/api/v1/requests/{uuid.uuid4()}", headers=auth(gha))
    # The same answer, byte for byte, as for an id that does not exist: existence does not leak.
    assert response.json() == unknown.json()


def test_two_portals_of_the_same_state_share_its_requests(
    api: TestClient, session: Session
) -> None:
    first, second = portal_key(session, state="KEN"), portal_key(session, state="KEN")
    created = _submit(api, first, "KEN")
    assert api.get(f"/api/v1/requests/{created['id']}", headers=auth(second)).status_code == 200


def test_portal_list_holds_only_its_own_states_requests(api: TestClient, session: Session) -> None:
    nga, gha = portal_key(session, state="NGA"), portal_key(session, state="GHA")
    ours = {_submit(api, gha, "GHA")["id"] for _ in range(2)}
    _submit(api, nga, "NGA")
    listed = api.get("/api/v1/requests", params={"limit": 100}, headers=auth(gha)).json()
    assert {item["id"] for item in listed["items"]} == ours
    assert all(item["requesting_state"] == "GHA" for item in listed["items"])


def test_cursor_from_another_state_reveals_nothing(api: TestClient, session: Session) -> None:
    nga, gha = portal_key(session, state="NGA"), portal_key(session, state="GHA")
    for _ in range(3):
        _submit(api, nga, "NGA")
    page = api.get("/api/v1/requests", params={"limit": 1}, headers=auth(nga)).json()
    assert page["next_cursor"]
    foreign = api.get(
        "/api/v1/requests", params={"cursor": page["next_cursor"]}, headers=auth(gha)
    ).json()
    assert foreign["items"] == []
    assert foreign["next_cursor"] is None


def test_portal_cannot_submit_or_preview_for_another_state(
    api: TestClient, session: Session
) -> None:
    gha = portal_key(session, state="GHA")
    assert (
        api.post("/api/v1/requests", json=request_body(state="NGA"), headers=auth(gha)).status_code
        == 422
    )
    assert (
        api.post(
            "/api/v1/triage/preview", json=request_body(state="NGA"), headers=auth(gha)
        ).status_code
        == 422
    )


def test_idempotency_key_of_another_state_is_not_replayed(
    api: TestClient, session: Session
) -> None:
    nga, gha = portal_key(session, state="NGA"), portal_key(session, state="GHA")
    theirs = api.post(
        "/api/v1/requests",
        json=request_body(state="NGA"),
        headers={**auth(nga), "Idempotency-Key": "k-1"},
    ).json()
    ours = api.post(
        "/api/v1/requests",
        json=request_body(state="GHA"),
        headers={**auth(gha), "Idempotency-Key": "k-1"},
    )
    assert ours.status_code == 201
    assert ours.json()["id"] != theirs["id"]
    assert ours.json()["requesting_state"] == "GHA"
