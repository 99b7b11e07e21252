"""Administration pages (admin role): users, portal keys, working-group keys and webhooks, and
the routing table. A new key or signing secret is shown once, in the answer to its form."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from app.auth.sessions import DeskIdentity
from app.db import SessionDep
from app.deps import CatalogueDep, SettingsDep
from app.desk import accounts, admin, pages
from app.desk.deps import DeskAdmin, PostingAdmin
from app.routing import service as routing_service

router = APIRouter(prefix="/desk/admin", include_in_schema=False)
Text = Annotated[str, Form(max_length=2000)]
TextList = Annotated[list[str] | None, Form()]


def _done(path: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?done={done}", status_code=303)


def _secret(request: Request, secret: admin.Secret, identity: DeskIdentity, back: str) -> Response:
    return pages.render(
        request,
        "desk/admin/secret.html",
        {"secret": secret, "back": back},
        identity=identity,
        status_code=201,
    )


@router.get("")
def index(request: Request, identity: DeskAdmin) -> Response:
    return pages.render(request, "desk/admin/index.html", {}, identity=identity)


@router.get("/users")
def users(request: Request, session: SessionDep, identity: DeskAdmin) -> Response:
    rows = accounts.list_users(session)
    session.commit()
    return pages.render(
        request,
        "desk/admin/users.html",
        {"users": rows, "done": request.query_params.get("done")},
        identity=identity,
    )


@router.post("/users")
def create_user(
    session: SessionDep,
    identity: PostingAdmin,
    username: Text = "",
    role: Text = "officer",
    password: Text = "",
) -> Response:
    accounts.create_user(
        session, username=username, role=role, password=password, identity=identity
    )
    return _done("/desk/admin/users", "created")


@router.post("/users/{user_id}/role")
def set_role(
    user_id: str, session: SessionDep, identity: PostingAdmin, role: Text = ""
) -> Response:
    accounts.set_role(session, user_id, role=role, identity=identity)
    return _done("/desk/admin/users", "role")


@router.post("/users/{user_id}/disable")
def disable_user(user_id: str, session: SessionDep, identity: PostingAdmin) -> Response:
    accounts.set_disabled(session, user_id, disabled=True, identity=identity)
    return _done("/desk/admin/users", "disabled")


@router.post("/users/{user_id}/enable")
def enable_user(user_id: str, session: SessionDep, identity: PostingAdmin) -> Response:
    accounts.set_disabled(session, user_id, disabled=False, identity=identity)
    return _done("/desk/admin/users", "enabled")


@router.get("/portal-keys")
def portal_keys(
    request: Request, session: SessionDep, identity: DeskAdmin, catalogue: CatalogueDep
) -> Response:
    rows = admin.portal_keys(session)
    session.commit()
    return pages.render(
        request,
        "desk/admin/portal_keys.html",
        {"keys": rows, "catalogue": catalogue, "done": request.query_params.get("done")},
        identity=identity,
    )


@router.post("/portal-keys")
def create_portal_key(
    request: Request,
    session: SessionDep,
    identity: PostingAdmin,
    catalogue: CatalogueDep,
    state: Text = "",
    name: Text = "",
) -> Response:
    secret = admin.create_portal_key(
        session, state=state, name=name, identity=identity, catalogue=catalogue
    )
    return _secret(request, secret, identity, "/desk/admin/portal-keys")


@router.post("/portal-keys/{key_id}/revoke")
def revoke_portal_key(key_id: str, session: SessionDep, identity: PostingAdmin) -> Response:
    admin.revoke_portal_key(session, key_id, identity=identity)
    return _done("/desk/admin/portal-keys", "revoked")


@router.get("/working-groups")
def working_groups(request: Request, session: SessionDep, identity: DeskAdmin) -> Response:
    groups = routing_service.working_groups(session)
    context = {
        "groups": groups,
        "keys": admin.group_key_list(session),
        "webhooks": admin.group_webhooks(session, groups),
        "events": admin.WEBHOOK_EVENTS,
        "done": request.query_params.get("done"),
    }
    session.commit()
    return pages.render(request, "desk/admin/working_groups.html", context, identity=identity)


@router.post("/working-groups/{group}/keys")
def create_group_key(
    request: Request, group: str, session: SessionDep, identity: PostingAdmin, name: Text = ""
) -> Response:
    secret = admin.create_group_key(session, group=group, name=name, identity=identity)
    return _secret(request, secret, identity, "/desk/admin/working-groups")


@router.post("/working-group-keys/{key_id}/revoke")
def revoke_group_key(key_id: str, session: SessionDep, identity: PostingAdmin) -> Response:
    admin.revoke_group_key(session, key_id, identity=identity)
    return _done("/desk/admin/working-groups", "revoked")


@router.post("/working-groups/{group}/webhooks")
def create_webhook(
    request: Request,
    group: str,
    session: SessionDep,
    identity: PostingAdmin,
    settings: SettingsDep,
    url: Text = "",
    events: TextList = None,
    description: Text = "",
) -> Response:
    secret = admin.create_webhook(
        session,
        group=group,
        url=url,
        events=events or [],
        description=description,
        identity=identity,
        egress=settings.webhook_egress,
    )
    return _secret(request, secret, identity, "/desk/admin/working-groups")


@router.post("/working-groups/{group}/webhooks/{subscription_id}/delete")
def delete_webhook(
    group: str, subscription_id: str, session: SessionDep, identity: PostingAdmin
) -> Response:
    admin.delete_webhook(session, group=group, subscription_id=subscription_id, identity=identity)
    return _done("/desk/admin/working-groups", "deleted")


@router.get("/routing")
def routing(
    request: Request, session: SessionDep, identity: DeskAdmin, catalogue: CatalogueDep
) -> Response:
    table = admin.routing_table(session)
    session.commit()
    return pages.render(
        request,
        "desk/admin/routing.html",
        {"table": table, "catalogue": catalogue, "done": request.query_params.get("done")},
        identity=identity,
    )


@router.post("/routing")
def set_route(
    session: SessionDep,
    identity: PostingAdmin,
    catalogue: CatalogueDep,
    area: Text = "",
    group: Text = "",
    reason: Text = "",
) -> Response:
    admin.set_route(
        session, area=area, group=group, reason=reason, identity=identity, catalogue=catalogue
    )
    return _done("/desk/admin/routing", "routed")
