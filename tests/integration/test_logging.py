"""The service's log lines, captured around real calls: JSON, each with its request id, and never
a request text, a portal key or a password, whatever the call and however it fails."""

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app import logs
from app.intake import service as intake_service
from tests.desk_support import csrf_of, sign_in
from tests.factories import DEFAULT_PASSWORD, auth, portal_key, request_body, user

SECRET_TEXT = (
    "Operation KESTREL-7: the Ministry asks for help to protect the informant known as "
    "Blue Heron who reported the financing network in the northern port."
)


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    """The service's own logging set-up, as `triage serve` makes it, writing to the captured
    stderr; the test's logging is restored afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    # The test client's own lines are not the service's.
    client_log = logging.getLogger("httpx2")
    client_level = client_log.level
    client_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        client_log.setLevel(client_level)


def _configure(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("INFO", as_json=True)  # its handler writes to sys.stderr, captured now
    capsys.readouterr()


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def _fail_with_the_text_in_a_query(session: Session, *_: object, **__: object) -> None:
    """A programming error in a query whose parameters carry the request text."""
    query = text("SELECT body FROM no_such_table WHERE body = :body")
    session.execute(query, {"body": SECRET_TEXT})


@pytest.mark.usefixtures("json_logs")
def test_every_log_line_is_json_with_a_request_id_and_no_secret(
    api: TestClient,
    session: Session,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = portal_key(session)
    user(session, username="log-officer")
    _configure(capsys)

    created = api.post(
        "/api/v1/requests",
        json=request_body(SECRET_TEXT),
        headers={**auth(key), "Idempotency-Key": "log-1"},
    )
    assert created.status_code == 201
    replay_with_other_body = api.post(
        "/api/v1/requests",
        json=request_body(SECRET_TEXT + " Urgent."),
        headers={**auth(key), "Idempotency-Key": "log-1"},
    )
    assert replay_with_other_body.status_code == 409
    assert api.get(f"/api/v1/requests/{created.json()['id']}", headers=auth(key)).status_code == 200
    assert api.get("/api/v1/requests?limit=5", headers=auth(key)).status_code == 200
    preview = api.post("/api/v1/triage/preview", json=request_body(SECRET_TEXT), headers=auth(key))
    assert preview.status_code == 200
    assert api.get("/api/v1/requests", headers=auth(key[:-4] + "AAAA")).status_code == 401
    invalid = api.post(
        "/api/v1/requests",
        json={**request_body(SECRET_TEXT), "priority": "high"},
        headers=auth(key),
    )
    assert invalid.status_code == 422
    login = api.get("/desk/login")
    refused = api.post(
        "/desk/login",
        data={
            "username": "log-officer",
            "password": DEFAULT_PASSWORD + "x",
            "csrf_token": csrf_of(login.text),
        },
        follow_redirects=False,
    )
    assert refused.status_code != 303
    sign_in(api, "log-officer")
    assert api.get(f"/desk/requests/{created.json()['id']}").status_code == 200
    api.cookies.clear()
    # The batch's first read, on either backend.
    monkeypatch.setattr(intake_service, "_read_context", _fail_with_the_text_in_a_query)
    broken = api.post("/api/v1/requests", json=request_body(SECRET_TEXT), headers=auth(key))
    assert broken.status_code in (500, 503)

    lines = _lines(capsys)
    assert len(lines) >= 12, lines  # one access line per call at least
    ids = set()
    for line in lines:
        entry = json.loads(line)
        assert entry["request_id"], line
        ids.add(entry["request_id"])
        assert {"ts", "level", "logger", "msg"} <= set(entry)
    assert len(ids) >= 12
    joined = "\n".join(lines)
    assert "Blue Heron" not in joined
    assert "KESTREL" not in joined
    assert key not in joined
    assert key.rsplit("_", 1)[-1] not in joined
    assert DEFAULT_PASSWORD not in joined


@pytest.mark.usefixtures("json_logs")
def test_an_unexpected_error_is_logged_with_its_request_id(
    api: TestClient,
    session: Session,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = portal_key(session)
    _configure(capsys)

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("routing table unreadable")

    monkeypatch.setattr(intake_service, "_read_context", broken)
    response = api.post(
        "/api/v1/requests",
        json=request_body(SECRET_TEXT),
        headers={**auth(key), "X-Request-ID": "trace-me-42"},
    )
    assert response.status_code == 500
    assert "trace-me-42" in response.json()["detail"]
    assert response.headers["x-request-id"] == "trace-me-42"
    entries = [json.loads(line) for line in _lines(capsys)]
    errors = [e for e in entries if e["level"] == "error"]
    assert errors
    assert all(e["request_id"] == "trace-me-42" for e in entries)
    assert "routing table unreadable" in errors[0]["exc"]
    assert "Blue Heron" not in json.dumps(entries)
