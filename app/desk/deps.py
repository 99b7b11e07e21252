"""Desk dependencies: the signed-in user from the session cookie only (a portal's bearer key
opens nothing here), and forms whose CSRF token matches the session's."""

from typing import Annotated

from fastapi import Depends, Request

from app.auth import sessions
from app.auth.deps import CurrentAdmin, CurrentUser
from app.auth.sessions import DeskIdentity
from app.desk import pages
from app.errors import Forbidden


class CsrfRefused(Forbidden):
    code = "csrf_refused"


def desk_user(request: Request, identity: CurrentUser) -> DeskIdentity:
    # Error pages render after the request's database session is gone: keep a plain copy.
    request.state.desk_viewer = pages.viewer_of(identity)
    return identity


def desk_admin(request: Request, identity: CurrentAdmin) -> DeskIdentity:
    request.state.desk_viewer = pages.viewer_of(identity)
    return identity


async def _check_csrf(request: Request, identity: DeskIdentity) -> DeskIdentity:
    form = await request.form()
    token = form.get("csrf_token")
    if not sessions.csrf_matches(identity, token if isinstance(token, str) else None):
        raise CsrfRefused("the form's security token is missing or wrong; reload the page")
    return identity


async def posting_user(
    request: Request, identity: Annotated[DeskIdentity, Depends(desk_user)]
) -> DeskIdentity:
    return await _check_csrf(request, identity)


async def posting_admin(
    request: Request, identity: Annotated[DeskIdentity, Depends(desk_admin)]
) -> DeskIdentity:
    return await _check_csrf(request, identity)


DeskUser = Annotated[DeskIdentity, Depends(desk_user)]
DeskAdmin = Annotated[DeskIdentity, Depends(desk_admin)]
PostingUser = Annotated[DeskIdentity, Depends(posting_user)]
PostingAdmin = Annotated[DeskIdentity, Depends(posting_admin)]
