"""Generated from the route table: every route but health, docs and sign-in refuses strangers."""

import re
import uuid
from collections.abc import Iterator, Sequence

import pytest
from fastapi.routing import APIRoute, _IncludedRouter
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Route

from app.main import create_app
from app.settings import Settings

PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/docs"),
    ("GET", "/openapi.json"),
    ("GET", "/desk/login"),
    ("POST", "/desk/login"),
    ("GET", "/desk"),
    ("GET", "/dashboards"),  # redirects to pages that ask for sign-in
}


def _walk(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every (method, path) the app answers, including routers included into routers."""
    for route in routes:
        if isinstance(route, _IncludedRouter):
            yield from _walk(
                route.original_router.routes, prefix + (route.include_context.prefix or "")
            )
        elif isinstance(route, APIRoute | Route):
            for method in sorted((route.methods or set()) - {"HEAD", "OPTIONS"}):
                yield method, prefix + route.path


def _routes() -> list[tuple[str, str]]:
    app = create_app(Settings(environment="test"))
    return [r for r in _walk(app.routes) if r not in PUBLIC]


ROUTES = _routes()


def test_the_route_table_is_not_empty() -> None:
    paths = {path for _, path in ROUTES}
    assert {
        "/api/v1/requests",
        "/api/v1/requests/{request_id}",
        "/api/v1/triage/preview",
        "/desk/queue",
        "/api/v1/wg/inbox",
        "/api/v1/stats/monthly",
    } <= paths


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_route_refuses_anonymous_calls(api: TestClient, method: str, path: str) -> None:
    url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
    response = api.request(method, url, follow_redirects=False)
    if response.status_code == 303:
        assert response.headers["location"].startswith("/desk/login")
    else:
        assert response.status_code in {401, 403}, (method, path, response.status_code)


def test_metrics_ask_for_the_scrape_token_once_one_is_set(settings: Settings) -> None:
    token = "scrape-token-0123456789abcdef"
    guarded = settings.model_copy(update={"metrics_token": token})
    with TestClient(create_app(guarded), raise_server_exceptions=False) as client:
        for headers in (
            {},
            {"Authorization": "Bearer wrong-token-0123456789"},
            {"Authorization": token},
        ):
            refused = client.get("/metrics", headers=headers)
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"] == "Bearer"
            assert "triage_" not in refused.text
        scraped = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert scraped.status_code == 200
        assert "triage_http_requests_total" in scraped.text
