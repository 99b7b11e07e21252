"""Administration from the desk: users, portal keys, working-group keys and webhooks, routing."""

import re

from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.routing import service as routing_service
from app.routing.models import RoutingRule
from tests import factories
from tests.desk_support import sign_in, submit


def _secret(html: str) -> str:
    found = re.search(r'<p class="secret" id="secret-value">([^<]+)</p>', html)
    assert found, html[:500]
    return found.group(1)


def test_an_admin_creates_an_officer_who_can_sign_in(
    desk: TestClient, session: Session, desk_admin: User
) -> None:
    token = sign_in(desk, "chief")
    response = desk.post(
        "/desk/admin/users",
        data={
            "csrf_token": token,
            "username": "newcomer",
            "role": "officer",
            "password": "a long enough password",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "newcomer" in desk.get("/desk/admin/users").text
    desk.cookies.clear()
    sign_in(desk, "newcomer", "a long enough password")
    assert desk.get("/desk/admin/users").status_code == 403


def test_disabling_a_user_ends_their_sessions(
    desk: TestClient, session: Session, desk_admin: User, officer: User
) -> None:
    sign_in(desk, "officer")
    officer_cookie = desk.cookies.get("triage_session")
    desk.cookies.clear()
    token = sign_in(desk, "chief")
    assert (
        desk.post(
            f"/desk/admin/users/{officer.id}/disable",
            data={"csrf_token": token},
            follow_redirects=False,
        ).status_code
        == 303
    )
    desk.cookies.clear()
    desk.cookies.set("triage_session", officer_cookie or "")
    assert desk.get("/desk/queue", follow_redirects=False).status_code == 303


def test_an_admin_promotes_an_officer(
    desk: TestClient, session: Session, desk_admin: User, officer: User
) -> None:
    token = sign_in(desk, "chief")
    desk.post(f"/desk/admin/users/{officer.id}/role", data={"csrf_token": token, "role": "admin"})
    session.expire_all()
    assert session.get(User, officer.id).role == "admin"  # type: ignore[union-attr]
    session.rollback()


def test_the_last_admin_keeps_the_role_and_the_account(
    desk: TestClient, session: Session, desk_admin: User
) -> None:
    token = sign_in(desk, "chief")
    demote = desk.post(
        f"/desk/admin/users/{desk_admin.id}/role", data={"csrf_token": token, "role": "officer"}
    )
    assert demote.status_code == 409
    disable = desk.post(f"/desk/admin/users/{desk_admin.id}/disable", data={"csrf_token": token})
    assert disable.status_code == 409


def test_a_portal_key_is_shown_once_works_and_can_be_revoked(
    desk: TestClient, session: Session, desk_admin: User
) -> None:
    token = sign_in(desk, "chief")
    created = desk.post(
        "/desk/admin/portal-keys", data={"csrf_token": token, "state": "KEN", "name": "Nairobi"}
    )
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    key = _secret(created.text)
    listing = desk.get("/desk/admin/portal-keys").text
    assert key not in listing
    assert "Nairobi" in listing
    submit(desk, key, state="KEN")
    assert "never" not in desk.get("/desk/admin/portal-keys").text.split("Nairobi")[1][:400]
    key_id = re.search(r'data-key-id="([^"]+)"', listing)
    assert key_id
    revoked = desk.post(
        f"/desk/admin/portal-keys/{key_id.group(1)}/revoke",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    response = desk.post(
        "/api/v1/requests", json=factories.request_body(state="KEN"), headers=factories.auth(key)
    )
    assert response.status_code == 401


def test_working_group_keys_and_webhooks_are_managed_per_group(
    desk: TestClient, session: Session, desk_admin: User
) -> None:
    token = sign_in(desk, "chief")
    created = desk.post(
        "/desk/admin/working-groups/pcve/keys", data={"csrf_token": token, "name": "PCVE system"}
    )
    assert created.status_code == 201
    key = _secret(created.text)
    assert key.startswith("twk_")
    inbox = desk.get("/api/v1/wg/inbox", headers=factories.auth(key))
    assert inbox.status_code == 200
    hook = desk.post(
        "/desk/admin/working-groups/pcve/webhooks",
        data={
            "csrf_token": token,
            "url": "https://pcve.example.org/hook",
            "events": ["assignment.dispatched"],
            "description": "coordination",
        },
    )
    assert hook.status_code == 201
    page = desk.get("/desk/admin/working-groups").text
    assert "https://pcve.example.org/hook" in page
    assert "PCVE system" in page
    bad = desk.post(
        "/desk/admin/working-groups/pcve/webhooks",
        data={"csrf_token": token, "url": "ftp://nowhere"},
    )
    assert bad.status_code == 422
    key_id = re.search(r"/desk/admin/working-group-keys/([0-9a-f-]+)/revoke", page)
    assert key_id
    desk.post(
        f"/desk/admin/working-group-keys/{key_id.group(1)}/revoke", data={"csrf_token": token}
    )
    assert desk.get("/api/v1/wg/inbox", headers=factories.auth(key)).status_code == 401
    hook_id = re.search(r"/desk/admin/working-groups/pcve/webhooks/([0-9a-f-]+)/delete", page)
    assert hook_id
    desk.post(
        f"/desk/admin/working-groups/pcve/webhooks/{hook_id.group(1)}/delete",
        data={"csrf_token": token},
    )
    assert "https://pcve.example.org/hook" not in desk.get("/desk/admin/working-groups").text


def test_a_routing_change_applies_from_now_and_keeps_the_history(
    desk: TestClient, session: Session, desk_admin: User
) -> None:
    token = sign_in(desk, "chief")
    before = routing_service.current_routes(session)["cbrn"].working_group_id
    session.rollback()
    try:
        response = desk.post(
            "/desk/admin/routing",
            data={
                "csrf_token": token,
                "area": "cbrn",
                "group": "bm-le",
                "reason": "temporary cover",
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert routing_service.current_routes(session)["cbrn"].working_group_id == "bm-le"
        rules = session.scalars(select(RoutingRule).where(RoutingRule.area_id == "cbrn")).all()
        assert {r.working_group_id for r in rules} >= {before, "bm-le"}
        session.rollback()
        page = desk.get("/desk/admin/routing").text
        assert "temporary cover" in page
    finally:
        session.rollback()
        session.execute(delete(RoutingRule).where(RoutingRule.created_by == "chief"))
        session.commit()
