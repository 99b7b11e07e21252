"""Metrics, security headers and the offline API documentation."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import auth, portal_key, request_body


def test_metrics_count_requests_by_route_template_and_decisions(
    api: TestClient, session: Session
) -> None:
    key = portal_key(session)
    created = api.post("/api/v1/requests", json=request_body(), headers=auth(key)).json()
    api.get(f"/api/v1/requests/{created['id']}", headers=auth(key))
    text = api.get("/metrics").text
    assert 'route="/api/v1/requests/{request_id}"' in text
    assert created["id"] not in text
    assert "triage_decisions_total{" in text
    assert "triage_classification_seconds_bucket" in text
    assert 'triage_backlog{kind="needs_review"}' in text


def test_pages_carry_security_headers_without_inline_script(api: TestClient) -> None:
    for path in ("/healthz", "/docs", "/api/v1/requests"):
        headers = api.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        csp = headers["content-security-policy"]
        script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
        assert "unsafe-inline" not in script_src
        assert "frame-ancestors 'none'" in csp


def test_api_docs_are_served_without_a_cdn(api: TestClient) -> None:
    page = api.get("/docs").text
    assert "http" not in page.replace('lang="en"', "")
    assert api.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert api.get("/static/docs-init.js").status_code == 200
    assert api.get("/openapi.json").json()["info"]["title"]


def test_every_response_has_a_request_id(api: TestClient) -> None:
    chosen = api.get("/healthz", headers={"X-Request-ID": "portal-123"})
    assert chosen.headers["x-request-id"] == "portal-123"
    hostile = api.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert hostile.headers["x-request-id"] != "<script>alert(1)</script>"
    assert len(hostile.headers["x-request-id"]) == 32
