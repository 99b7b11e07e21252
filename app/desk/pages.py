"""Rendering desk pages: the user's language, no caching, template filters, and the page
shown when an officer's form was made on an older version of a request."""

import functools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_percent
from fastapi import FastAPI, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse, Response

from app import web
from app.auth.sessions import DeskIdentity
from app.catalogue.loader import Catalogue
from app.desk.versioned import StaleRequest

R = TypeVar("R", bound=Response)


@dataclass(frozen=True)
class UserView:
    id: uuid.UUID
    username: str
    role: str
    locale: str


@dataclass(frozen=True)
class SessionView:
    csrf_token: str


@dataclass(frozen=True)
class Viewer:
    """What pages show of the signed-in user: a copy, so an error page rendered after the
    database session was rolled back or closed never reloads it."""

    user: UserView
    session: SessionView

    @property
    def is_admin(self) -> bool:
        return self.user.role == "admin"


def viewer_of(identity: DeskIdentity | Viewer | None) -> Viewer | None:
    if identity is None or isinstance(identity, Viewer):
        return identity
    user = identity.user
    return Viewer(
        user=UserView(id=user.id, username=user.username, role=user.role, locale=user.locale),
        session=SessionView(csrf_token=identity.session.csrf_token),
    )


def locale_of(identity: Viewer | None, request: Request) -> str:
    if identity is not None and identity.user.locale in web.LOCALES:
        return identity.user.locale
    wanted = request.query_params.get("lang")
    if wanted in web.LOCALES:
        return wanted
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in web.LOCALES:
            return code
    return web.DEFAULT_LOCALE


def protect(response: R) -> R:
    """Pages carry sensitive request texts: no cache keeps a copy. (The CSP, nosniff and
    framing headers come from app.middleware.SecurityHeadersMiddleware, for every page.)"""
    response.headers["Cache-Control"] = "no-store"
    return response


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    identity: DeskIdentity | Viewer | None,
    status_code: int = 200,
) -> HTMLResponse:
    viewer = viewer_of(identity)
    locale = locale_of(viewer, request)
    catalogue: Catalogue = request.app.state.catalogue
    full = {
        "identity": viewer,
        "area_short": _area_names(catalogue, short=True),
        "area_full": _area_names(catalogue, short=False),
        "csrf_token": viewer.session.csrf_token if viewer else "",
        "current_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **context,
    }
    response = web.render(request, name, full, status_code=status_code, locale=locale)
    protect(response)
    return response


@functools.cache
def _area_names(catalogue: Catalogue, *, short: bool) -> dict[str, str]:
    return {a.id: a.short_name if short else a.name for a in catalogue.areas}


def _when(value: datetime | None, locale: str) -> str:
    if value is None:
        return ""
    return format_datetime(value.astimezone(UTC), "yyyy-MM-dd HH:mm 'UTC'", locale=locale)


def _age(value: datetime | timedelta | None, locale: str) -> str:
    if value is None:
        return ""
    delta = value if isinstance(value, timedelta) else datetime.now(UTC) - value
    return format_timedelta(delta, threshold=1.5, format="short", locale=locale)


def _percent(value: float | None, locale: str) -> str:
    if value is None:
        return "–"
    return format_percent(value, format="#,##0.0%", locale=locale)


def configure_templates(environments: dict[str, Jinja2Templates]) -> None:
    """Locale-aware filters for every language's environment."""
    for locale, templates in environments.items():
        env = templates.env
        env.filters["when"] = lambda v, _l=locale: _when(v, _l)
        env.filters["age"] = lambda v, _l=locale: _age(v, _l)
        env.filters["percent"] = lambda v, _l=locale: _percent(v, _l)


async def stale_request_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StaleRequest)
    identity = getattr(request.state, "desk_viewer", None)
    return render(
        request,
        "desk/conflict.html",
        {"error": exc},
        identity=identity,
        status_code=409,
    )


def install(app: FastAPI) -> None:
    configure_templates(app.state.templates)
    app.add_exception_handler(StaleRequest, stale_request_page)
