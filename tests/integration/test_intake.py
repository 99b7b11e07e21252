"""The portal API end to end: submission, triage, references, reads and lists."""

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.dispatch.models import Assignment, OutboxEntry
from app.intake.models import AssistanceRequest
from app.triage.models import TriageResult
from tests.factories import auth, portal_key, request_body

FRENCH = (
    "La Mission permanente de la République du Niger auprès de l'Office des Nations Unies à "
    "Vienne sollicite l'appui de l'ONUDC pour former les magistrats du pôle judiciaire "
    "spécialisé à la poursuite des combattants terroristes étrangers de retour, y compris "
    "l'utilisation des preuves recueillies sur le champ de bataille."
)


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AssistanceRequest)) or 0


def test_submission_answers_201_with_reference_language_and_triage(
    api: TestClient, session: Session
) -> None:
    key = portal_key(session, state="NGA")
    response = api.post(
        "/api/v1/requests", json=request_body(title="FTF prosecution"), headers=auth(key)
    )
    assert response.status_code == 201, response.text
    data = response.json()
    assert re.fullmatch(r"TA-\d{4}-\d{6}", data["reference"])
    assert data["requesting_state"] == "NGA"
    assert data["language"] == "en"
    assert data["status"] in {"triaged", "needs_review"}
    triage = data["triage"]
    assert triage["decision"] in {"auto_routed", "needs_review"}
    assert 0 <= triage["confidence"] <= 1
    assert len(triage["areas"]) >= 3
    assert len(triage["paragraphs"]) >= 3
    assert triage["areas"][0]["id"] == "ftf"
    assert all(isinstance(p["number"], int) for p in triage["paragraphs"])
    assert triage["working_group"]["id"] == "cj-cft"
    assert triage["explanation"]["terms"]
    assert triage["model_version"]
    assert response.headers["location"] == f"/api/v1/requests/{data['id']}"


def test_submission_stores_request_triage_audit_and_outbox_together(
    api: TestClient, session: Session
) -> None:
    key = portal_key(session)
    data = api.post("/api/v1/requests", json=request_body(), headers=auth(key)).json()
    stored = session.get(AssistanceRequest, uuid.UUID(data["id"]))
    assert stored is not None
    assert stored.current_triage_id is not None
    results = session.scalars(select(TriageResult).where(TriageResult.request_id == stored.id))
    assert [r.model_version for r in results] == [data["triage"]["model_version"]]
    actions = set(
        session.scalars(select(AuditEvent.action).where(AuditEvent.request_id == stored.id))
    )
    assert {"request.received", "request.triaged"} <= actions
    outbox = session.scalars(select(OutboxEntry).where(OutboxEntry.request_id == stored.id)).all()
    assignments = session.scalars(
        select(Assignment).where(Assignment.request_id == stored.id)
    ).all()
    if data["triage"]["decision"] == "auto_routed":
        assert {o.working_group_id for o in outbox} == {a.working_group_id for a in assignments}
        assert data["triage"]["working_group"]["id"] in {o.working_group_id for o in outbox}
    else:
        assert outbox == []
        assert assignments == []


def test_language_hint_is_stored_but_detection_wins(api: TestClient, session: Session) -> None:
    key = portal_key(session, state="NER")
    response = api.post(
        "/api/v1/requests", headers=auth(key), json=request_body(FRENCH, state="NER", language="en")
    )
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["language"] == "fr"
    assert data["language_hint"] == "en"
    assert data["triage"]["language"] == "fr"


def test_out_of_scope_request_gets_no_working_group(api: TestClient, session: Session) -> None:
    key = portal_key(session, state="PER")
    text = (
        "El Ministerio de Salud solicita a la UNODC asistencia técnica para ampliar los "
        "programas de tratamiento de la dependencia de drogas y de prevención del consumo "
        "en escuelas secundarias de Lima y Arequipa durante 2027."
    )
    response = api.post("/api/v1/requests", headers=auth(key), json=request_body(text, state="PER"))
    assert response.status_code == 201
    triage = response.json()["triage"]
    assert triage["decision"] in {"out_of_scope", "needs_review"}
    assert triage["decision"] != "auto_routed"
    if triage["decision"] == "out_of_scope":
        assert triage["working_group"] is None
        assert response.json()["status"] == "out_of_scope"


def test_references_are_unique_under_concurrent_submissions(live: str, session: Session) -> None:
    key = portal_key(session)

    def submit(i: int) -> httpx.Response:
        body = request_body(
            f"Request {i}: training for prosecutors on terrorist financing "
            f"investigations and asset freezing, cohort {i}."
        )
        return httpx.post(f"{live}/api/v1/requests", json=body, headers=auth(key), timeout=60)

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(submit, range(20)))
    assert [r.status_code for r in responses] == [201] * 20
    references = {r.json()["reference"] for r in responses}
    assert len(references) == 20
    assert _count(session) == 20


def test_read_returns_own_request(api: TestClient, session: Session) -> None:
    key = portal_key(session)
    created = api.post("/api/v1/requests", json=request_body(), headers=auth(key)).json()
    response = api.get(f"/api/v1/requests/{created['id']}", headers=auth(key))
    assert response.status_code == 200
    assert response.json() == created


def test_preview_answers_a_triage_and_stores_nothing(api: TestClient, session: Session) -> None:
    key = portal_key(session)
    response = api.post("/api/v1/triage/preview", json=request_body(), headers=auth(key))
    assert response.status_code == 200
    data = response.json()
    assert set(data) >= {
        "decision",
        "confidence",
        "language",
        "areas",
        "paragraphs",
        "working_group",
        "explanation",
        "model_version",
    }
    assert _count(session) == 0


def test_list_is_newest_first_with_cursor_pagination(api: TestClient, session: Session) -> None:
    key = portal_key(session)
    ids = [
        api.post(
            "/api/v1/requests",
            headers=auth(key),
            json=request_body(
                f"Workshop {i} on electronic evidence and "
                f"cross-border data requests for investigators."
            ),
        ).json()["id"]
        for i in range(5)
    ]
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/requests", params=params, headers=auth(key)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))


def test_list_filters_by_status_and_date(api: TestClient, session: Session) -> None:
    key = portal_key(session)
    created = api.post("/api/v1/requests", json=request_body(), headers=auth(key)).json()
    status = created["status"]
    same = api.get("/api/v1/requests", params={"status": status}, headers=auth(key)).json()
    assert [i["id"] for i in same["items"]] == [created["id"]]
    other = "completed" if status != "completed" else "declined"
    assert (
        api.get("/api/v1/requests", params={"status": other}, headers=auth(key)).json()["items"]
        == []
    )
    later = api.get(
        "/api/v1/requests", params={"received_from": "2999-01-01T00:00:00Z"}, headers=auth(key)
    ).json()
    assert later["items"] == []
    earlier = api.get(
        "/api/v1/requests", params={"received_to": "2000-01-01"}, headers=auth(key)
    ).json()
    assert earlier["items"] == []


def test_health_and_readiness(api: TestClient) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["model"]["ok"] is True


def test_openapi_documents_the_portal_endpoints(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    assert {"/api/v1/requests", "/api/v1/requests/{request_id}", "/api/v1/triage/preview"} <= set(
        spec["paths"]
    )
    content = spec["paths"]["/api/v1/requests"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(content)
    assert api.get("/docs").status_code == 200
