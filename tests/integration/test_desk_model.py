"""The model page: active version and metrics, override rates, and background jobs run in a
process of their own."""

import time
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from app.auth.models import User
from app.db import utcnow
from app.desk.models import DeskJob
from app.dispatch.models import Assignment, OutboxEntry
from app.intake.models import AssistanceRequest
from app.triage import registry
from tests import factories
from tests.desk_support import open_request, sign_in, submit


def _waiting(desk: TestClient, session: Session, key: str) -> str:
    created = submit(desk, key)
    rid = uuid.UUID(str(created["id"]))
    # As intake leaves a request the model was unsure of: waiting, and planned for no group.
    session.execute(delete(OutboxEntry).where(OutboxEntry.request_id == rid))
    session.execute(delete(Assignment).where(Assignment.request_id == rid))
    session.execute(
        update(AssistanceRequest).where(AssistanceRequest.id == rid).values(status="needs_review")
    )
    session.commit()
    return str(created["id"])


def test_the_model_page_shows_the_active_version_and_its_metrics(
    desk: TestClient, session: Session, officer: User
) -> None:
    active = registry.active(session)
    assert active is not None
    version = active.version
    session.rollback()  # on SQLite an open transaction holds the write lock
    sign_in(desk, "officer")
    page = desk.get("/desk/model")
    assert page.status_code == 200
    assert version in page.text
    assert "Primary area right" in page.text
    assert "Train a new version" not in page.text  # officers see, administrators act


def test_override_rates_compare_officers_with_the_model(
    desk: TestClient, session: Session, officer: User
) -> None:
    key = factories.portal_key(session)
    confirmed, corrected = _waiting(desk, session, key), _waiting(desk, session, key)
    sign_in(desk, "officer")
    _, token, version = open_request(desk, confirmed)
    desk.post(f"/desk/requests/{confirmed}/confirm", data={"csrf_token": token, "version": version})
    _, token, version = open_request(desk, corrected)
    desk.post(
        f"/desk/requests/{corrected}/correct",
        data={
            "csrf_token": token,
            "version": version,
            "primary_area": "cbrn",
            "paragraphs": ["20"],
        },
    )
    page = desk.get("/desk/model").text
    assert "1 of 2 reviewed requests overruled the model (50.0%)" in page


def test_an_admin_runs_an_evaluation_in_a_background_process(
    desk: TestClient, session: Session, desk_admin: User
) -> None:
    active = registry.active(session)
    assert active is not None
    version = active.version
    session.rollback()
    token = sign_in(desk, "chief")
    started = desk.post(
        "/desk/model/jobs",
        data={"csrf_token": token, "kind": "evaluate", "version": version},
        follow_redirects=False,
    )
    assert started.status_code == 303
    job_id = started.headers["location"].split("job=")[1].split("#")[0]
    deadline = time.monotonic() + 240
    state: dict[str, object] = {}
    while time.monotonic() < deadline:
        state = desk.get(f"/desk/model/jobs/{job_id}").json()
        if state["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.5)
    assert state["status"] == "succeeded", state
    assert state["progress"] == 1.0
    assert f"model {version}" in str(state["output"])
    assert "evaluate" in desk.get("/desk/model").text.lower()


def test_only_one_training_runs_at_a_time(
    desk: TestClient, session: Session, desk_admin: User
) -> None:
    now = utcnow()
    session.add(
        DeskJob(
            kind="train",
            args={},
            status="running",
            created_by="chief",
            created_at=now,
            started_at=now,
            heartbeat_at=now,
        )
    )
    session.commit()
    token = sign_in(desk, "chief")
    response = desk.post("/desk/model/jobs", data={"csrf_token": token, "kind": "train"})
    assert response.status_code == 409


def test_a_promotion_of_an_unknown_version_is_refused(
    desk: TestClient, session: Session, desk_admin: User
) -> None:
    token = sign_in(desk, "chief")
    response = desk.post(
        "/desk/model/jobs", data={"csrf_token": token, "kind": "promote", "version": "nope"}
    )
    assert response.status_code == 404
