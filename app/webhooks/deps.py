"""The owner of a webhook call: a portal (its portal key) or a working group (its key)."""

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import service as auth_service
from app.db import SessionDep
from app.dispatch import keys as group_keys
from app.webhooks.service import WebhookOwner

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="PortalOrWorkingGroupKey",
    description="A portal key (tak_...) or a working-group key (twk_...)",
)


def webhook_owner(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> WebhookOwner:
    key = credentials.credentials if credentials else None
    if key and group_keys.is_group_key(key):
        row = group_keys.authenticate(session, key)
        return WebhookOwner(kind="working_group", id=row.working_group_id, label=row.name)
    portal = auth_service.authenticate_portal(session, key)
    return WebhookOwner(kind="portal", id=str(portal.id), label=portal.name)


WebhookOwnerDep = Annotated[WebhookOwner, Depends(webhook_owner)]
