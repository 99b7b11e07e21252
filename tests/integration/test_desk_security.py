"""The desk's security properties: CSRF on every form, inert request texts, roles, and no way in
with a portal key."""

import re
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.desk.models import Review
from app.intake.models import AssistanceRequest
from app.main import create_app
from app.settings import Settings
from tests import factories
from tests.desk_support import csrf_of, open_request, sign_in, submit

HOSTILE = (
    "<script>alert('x')</script> The Ministry asks for training of prosecutors on foreign "
    'terrorist fighters <img src=x onerror="alert(1)"> <a href="javascript:alert(2)" '
    'onclick="alert(3)">click</a> <svg onload=alert(4)></svg>'
)


def test_login_post_without_csrf_token_is_refused(desk: TestClient, officer: User) -> None:
    desk.get("/desk/login")
    response = desk.post(
        "/desk/login",
        data={"username": "officer", "password": factories.DEFAULT_PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "triage_session" not in response.cookies


def test_login_post_with_a_wrong_csrf_token_is_refused(desk: TestClient, officer: User) -> None:
    desk.get("/desk/login")
    response = desk.post(
        "/desk/login",
        data={
            "username": "officer",
            "password": factories.DEFAULT_PASSWORD,
            "csrf_token": "forged.token.value",
        },
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_login_token_does_not_work_without_its_cookie(desk: TestClient, officer: User) -> None:
    token = csrf_of(desk.get("/desk/login").text)
    desk.cookies.clear()
    response = desk.post(
        "/desk/login",
        data={"username": "officer", "password": factories.DEFAULT_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_action_without_csrf_token_is_refused(
    desk: TestClient, session: Session, officer: User
) -> None:
    key = factories.portal_key(session)
    created = submit(desk, key)
    sign_in(desk, "officer")
    _, _, version = open_request(desk, created["id"])
    response = desk.post(
        f"/desk/requests/{created['id']}/confirm",
        data={"version": version},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert session.scalar(select(func.count()).select_from(Review)) == 0


def test_action_with_a_wrong_csrf_token_is_refused(
    desk: TestClient, session: Session, officer: User
) -> None:
    key = factories.portal_key(session)
    created = submit(desk, key)
    sign_in(desk, "officer")
    _, token, version = open_request(desk, created["id"])
    response = desk.post(
        f"/desk/requests/{created['id']}/note",
        data={"csrf_token": token[:-4] + "AAAA", "version": version, "note": "x"},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_sign_out_needs_the_csrf_token(desk: TestClient, officer: User) -> None:
    sign_in(desk, "officer")
    assert desk.post("/desk/logout", follow_redirects=False).status_code == 403
    assert desk.get("/desk/queue", follow_redirects=False).status_code == 200


def test_markup_in_a_request_renders_inert(
    desk: TestClient, session: Session, officer: User
) -> None:
    key = factories.portal_key(session)
    created = submit(desk, key, HOSTILE, title="<b onmouseover=alert(5)>Title</b>")
    sign_in(desk, "officer")
    for page in (desk.get(f"/desk/requests/{created['id']}").text, desk.get("/desk/queue").text):
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "<svg onload" not in page
        assert "<b onmouseover" not in page
        assert re.search(r"<a [^>]*javascript:", page) is None
    response = desk.get(f"/desk/requests/{created['id']}")
    shown = re.sub(r"</?mark[^>]*>", "", response.text)  # explanation terms are marked
    assert "&lt;script&gt;" in shown
    assert "&lt;b onmouseover=alert(5)&gt;" in shown
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]


def test_an_officer_cannot_use_admin_pages(
    desk: TestClient, session: Session, officer: User
) -> None:
    token = sign_in(desk, "officer")
    for path in (
        "/desk/admin",
        "/desk/admin/users",
        "/desk/admin/portal-keys",
        "/desk/admin/working-groups",
        "/desk/admin/routing",
    ):
        assert desk.get(path).status_code == 403, path
    response = desk.post(
        "/desk/admin/users",
        data={
            "csrf_token": token,
            "username": "intruder",
            "role": "admin",
            "password": "long enough password",
        },
    )
    assert response.status_code == 403
    assert session.scalar(select(User).where(User.username == "intruder")) is None
    session.rollback()  # end the read: on SQLite every transaction holds the write lock
    response = desk.post("/desk/model/jobs", data={"csrf_token": token, "kind": "train"})
    assert response.status_code == 403


def test_a_portal_key_cannot_open_desk_pages(desk: TestClient, session: Session) -> None:
    key = factories.portal_key(session)
    created = submit(desk, key)
    for path in (
        "/desk/queue",
        f"/desk/requests/{created['id']}",
        "/desk/model",
        "/desk/admin/users",
    ):
        response = desk.get(path, headers=factories.auth(key), follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/desk/login")
    response = desk.post(
        f"/desk/requests/{created['id']}/note",
        headers=factories.auth(key),
        data={"note": "x"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    stored = session.get(AssistanceRequest, uuid.UUID(str(created["id"])))
    assert stored is not None
    assert stored.status == created["status"]


def _login_response(client: TestClient) -> Any:
    token = csrf_of(client.get("/desk/login").text)
    return client.post(
        "/desk/login",
        data={"username": "officer", "password": factories.DEFAULT_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )


def test_the_session_cookie_is_http_only_and_same_site_without_https(
    desk: TestClient, officer: User
) -> None:
    cookie = _login_response(desk).headers["set-cookie"].lower()
    assert cookie.startswith("triage_session=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie


def test_the_session_cookie_is_secure_when_served_over_https(
    settings: Settings, officer: User
) -> None:
    secure = create_app(settings.model_copy(update={"https": True}))
    with TestClient(secure, base_url="https://testserver") as client:
        cookie = _login_response(client).headers["set-cookie"].lower()
    assert "secure" in cookie
    assert "httponly" in cookie


def test_repeated_wrong_passwords_are_throttled(desk: TestClient, officer: User) -> None:
    statuses = []
    for _ in range(6):
        token = csrf_of(desk.get("/desk/login").text)
        response = desk.post(
            "/desk/login",
            data={"username": "officer", "password": "wrong password", "csrf_token": token},
        )
        statuses.append(response.status_code)
    assert statuses == [401] * 5 + [429]
    assert "Too many failed attempts" in response.text
