"""Dependencies that authenticate portals (bearer key) and desk users (session cookie)."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from app.auth import service, sessions
from app.auth.models import PortalClient
from app.auth.sessions import DeskIdentity
from app.db import SessionDep
from app.errors import Forbidden, Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="Portal API key, bound to one Member State")


def current_portal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> PortalClient:
    portal = service.authenticate_portal(session, credentials.credentials if credentials else None)
    limiter = request.app.state.rate_limiter
    if limiter is not None:
        limiter.check(str(portal.id))
    return portal


CurrentPortal = Annotated[PortalClient, Depends(current_portal)]


async def submitting_portal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> PortalClient:
    """`current_portal` for the submission route, from a cache of keys recently found valid.

    The submission batch checks revocation in its own transaction, so a revoked key is
    refused there as it would be here; the cache spares every submission a round trip.
    """
    key = credentials.credentials if credentials else None
    service.key_prefix(key)  # a stranger is refused on the event loop, without a query
    assert key is not None
    keys: service.PortalKeyCache = request.app.state.portal_keys
    portal = keys.get(key)
    if portal is None:
        portal = await run_in_threadpool(_authenticate, request, key)
        keys.put(key, portal)
    limiter = request.app.state.rate_limiter
    if limiter is not None:
        await run_in_threadpool(limiter.check, str(portal.id))
    return portal


def _authenticate(request: Request, key: str) -> PortalClient:
    with request.app.state.sessionmaker() as session:
        return service.authenticate_portal(session, key)


SubmittingPortal = Annotated[PortalClient, Depends(submitting_portal)]


class NotSignedIn(Unauthenticated):
    """Raised on desk and dashboard routes; HTML routes render it as a redirect to sign-in."""

    code = "not_signed_in"


def current_desk_user(request: Request, session: SessionDep) -> DeskIdentity:
    identity = sessions.resolve(session, request.cookies.get(sessions.SESSION_COOKIE))
    session.commit()
    if identity is None:
        raise NotSignedIn("sign in at /desk/login")
    return identity


def current_admin(identity: Annotated[DeskIdentity, Depends(current_desk_user)]) -> DeskIdentity:
    if not identity.is_admin:
        raise Forbidden("this page is for administrators")
    return identity


CurrentUser = Annotated[DeskIdentity, Depends(current_desk_user)]
CurrentAdmin = Annotated[DeskIdentity, Depends(current_admin)]
