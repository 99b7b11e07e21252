"""Desk pages: sign-in, the queue, a request and the officers' actions on it."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from app.auth.sessions import SESSION_COOKIE, SESSION_TTL
from app.db import SessionDep, utcnow
from app.deps import CatalogueDep, SettingsDep
from app.desk import accounts, detail, dispatching, pages, queue, review, signin
from app.desk.deps import DeskUser, PostingUser
from app.dispatch import inbox, sla
from app.settings import Settings

router = APIRouter(prefix="/desk", include_in_schema=False)
FormText = Annotated[str, Form(max_length=5000)]
FormList = Annotated[list[str] | None, Form()]


def _login_page(
    request: Request,
    settings: Settings,
    *,
    status_code: int = 200,
    error: str | None = None,
    username: str = "",
    next_path: str = "",
) -> Response:
    nonce = signin.usable_nonce(request.cookies.get(signin.LOGIN_COOKIE)) or signin.new_nonce()
    response = pages.render(
        request,
        "desk/login.html",
        {
            "login_token": signin.form_token(settings.secret_key, nonce),
            "error": error,
            "username": username,
            "next": signin.safe_next(next_path or request.query_params.get("next")),
        },
        identity=None,
        status_code=status_code,
    )
    response.set_cookie(
        signin.LOGIN_COOKIE,
        nonce,
        max_age=signin.LOGIN_TOKEN_MAX_AGE,
        path="/desk/login",
        httponly=True,
        samesite="strict",
        secure=settings.https,
    )
    return response


@router.get("")
def desk_home() -> RedirectResponse:
    return RedirectResponse("/desk/queue", status_code=303)


@router.get("/login")
def login_form(request: Request, settings: SettingsDep) -> Response:
    return _login_page(request, settings)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: FormText = "",
    password: FormText = "",
    csrf_token: FormText = "",
    next_path: Annotated[str, Form(alias="next", max_length=1000)] = "",
) -> Response:
    cookie = request.cookies.get(signin.LOGIN_COOKIE)
    if not signin.token_matches(settings.secret_key, cookie=cookie, token=csrf_token):
        return _login_page(request, settings, status_code=403, error="csrf", next_path=next_path)
    result = signin.sign_in(
        session,
        username=username,
        password=password,
        address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    if result.outcome is signin.Outcome.THROTTLED:
        return _login_page(
            request,
            settings,
            status_code=429,
            error="throttled",
            username=username,
            next_path=next_path,
        )
    if result.outcome is signin.Outcome.WRONG_CREDENTIALS or result.token is None:
        return _login_page(
            request,
            settings,
            status_code=401,
            error="credentials",
            username=username,
            next_path=next_path,
        )
    response = RedirectResponse(signin.safe_next(next_path), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        max_age=int(SESSION_TTL.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.https,
    )
    response.delete_cookie(signin.LOGIN_COOKIE, path="/desk/login")
    return response


@router.post("/logout")
def logout(session: SessionDep, identity: PostingUser, settings: SettingsDep) -> Response:
    signin.sign_out(session, identity)
    response = RedirectResponse("/desk/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.https
    )
    return response


@router.post("/locale")
def set_locale(
    session: SessionDep,
    identity: PostingUser,
    locale: FormText = "",
    next_path: Annotated[str, Form(alias="next", max_length=1000)] = "",
) -> Response:
    accounts.set_own_locale(session, identity, locale=locale)
    return RedirectResponse(signin.safe_next(next_path), status_code=303)


@router.get("/queue")
def queue_page(
    request: Request, session: SessionDep, identity: DeskUser, catalogue: CatalogueDep
) -> Response:
    params = dict(request.query_params)
    filters = queue.parse_filters(params, catalogue)
    page = queue.load(
        session, filters, catalogue=catalogue, cursor=params.get("cursor"), now=utcnow()
    )
    session.commit()
    return pages.render(
        request,
        "desk/queue.html",
        {"page": page, "tabs": queue.status_tabs(page), "catalogue": catalogue},
        identity=identity,
    )


@router.get("/attention")
def attention_page(request: Request, session: SessionDep, identity: DeskUser) -> Response:
    """Deliveries that keep failing (dead letters) and assignments past their time limit."""
    dead = inbox.dead_letters(session)
    overdue = sla.overdue_assignments(session, now=utcnow())
    session.commit()
    return pages.render(
        request, "desk/attention.html", {"dead": dead, "overdue": overdue}, identity=identity
    )


@router.get("/requests/{request_id}")
def request_page(
    request: Request,
    request_id: str,
    session: SessionDep,
    identity: DeskUser,
    catalogue: CatalogueDep,
) -> Response:
    view = detail.load(session, request_id, identity=identity, catalogue=catalogue, now=utcnow())
    return pages.render(
        request,
        "desk/request.html",
        {"view": view, "catalogue": catalogue, "done": request.query_params.get("done")},
        identity=identity,
    )


def _back(request_id: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/desk/requests/{request_id}?done={done}", status_code=303)


@router.post("/requests/{request_id}/confirm")
def confirm(
    request_id: str, session: SessionDep, identity: PostingUser, version: FormText = ""
) -> Response:
    review.confirm(session, request_id, version=version, identity=identity)
    return _back(request_id, "confirmed")


@router.post("/requests/{request_id}/correct")
def correct(
    request_id: str,
    session: SessionDep,
    identity: PostingUser,
    catalogue: CatalogueDep,
    version: FormText = "",
    primary_area: FormText = "",
    areas: FormList = None,
    paragraphs: FormList = None,
    working_group: FormText = "",
    co_groups: FormList = None,
    comment: FormText = "",
) -> Response:
    review.correct(
        session,
        request_id,
        version=version,
        identity=identity,
        catalogue=catalogue,
        primary_area=primary_area,
        areas=areas or [],
        paragraphs=paragraphs or [],
        working_group=working_group,
        co_groups=co_groups or [],
        comment=comment,
    )
    return _back(request_id, "corrected")


@router.post("/requests/{request_id}/out-of-scope")
def out_of_scope(
    request_id: str,
    session: SessionDep,
    identity: PostingUser,
    version: FormText = "",
    comment: FormText = "",
) -> Response:
    review.mark_out_of_scope(
        session, request_id, version=version, identity=identity, comment=comment
    )
    return _back(request_id, "out_of_scope")


@router.post("/requests/{request_id}/duplicate")
def duplicate(
    request_id: str,
    session: SessionDep,
    identity: PostingUser,
    version: FormText = "",
    original: FormText = "",
) -> Response:
    review.merge_duplicate(
        session, request_id, version=version, identity=identity, original=original
    )
    return _back(request_id, "merged")


@router.post("/requests/{request_id}/note")
def note(
    request_id: str, session: SessionDep, identity: PostingUser, note: FormText = ""
) -> Response:
    review.add_note(session, request_id, identity=identity, note=note)
    return _back(request_id, "noted")


@router.post("/requests/{request_id}/dispatch")
def dispatch(
    request_id: str,
    session: SessionDep,
    identity: PostingUser,
    catalogue: CatalogueDep,
    version: FormText = "",
) -> Response:
    dispatching.dispatch(
        session, request_id, version=version, identity=identity, catalogue=catalogue
    )
    return _back(request_id, "dispatched")
