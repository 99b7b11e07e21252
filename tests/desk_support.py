"""Helpers for the desk tests: signing in through the form, reading tokens off pages."""

import re

import httpx
from fastapi.testclient import TestClient

from tests.factories import DEFAULT_PASSWORD, auth, request_body

# The in-process test client, or a real HTTP client for the live server.
Client = TestClient | httpx.Client
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_VERSION = re.compile(r'name="version" value="(\d+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def version_of(html: str) -> str:
    found = _VERSION.search(html)
    assert found, "no version field on the page"
    return found.group(1)


def sign_in(client: Client, username: str, password: str = DEFAULT_PASSWORD) -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    page = client.get("/desk/login")
    response = client.post(
        "/desk/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    return csrf_of(client.get("/desk/queue").text)


def submit(
    client: Client, key: str, text: str | None = None, *, state: str = "NGA", **extra: object
) -> dict[str, object]:
    sent = request_body(text, state=state, **extra)
    response = client.post("/api/v1/requests", json=sent, headers=auth(key))
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


def open_request(client: Client, request_id: object) -> tuple[str, str, str]:
    """The request page's HTML, its CSRF token and the version its forms carry."""
    page = client.get(f"/desk/requests/{request_id}")
    assert page.status_code == 200, page.text[:500]
    return page.text, csrf_of(page.text), version_of(page.text)
