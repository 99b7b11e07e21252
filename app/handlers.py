"""Exception handlers: JSON {"error": CODE, "detail": ...} for the API, pages for the desk."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.responses import Response

from app import web
from app.errors import AppError
from app.middleware import request_id_var

log = logging.getLogger("app.errors")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def _json(
    status: int, code: str, detail: Any, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": code, "detail": jsonable_encoder(detail)}, status_code=status, headers=headers
    )


async def app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    if web.wants_html(request):
        response = web.error_page(request, exc.status_code, exc.code, exc.message)
        response.headers.update(exc.headers)
        return response
    return _json(exc.status_code, exc.code, exc.detail, exc.headers)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Echoing the input back would return up to 256 KB of the caller's text; loc and msg suffice.
    detail = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    return _json(422, "validation_error", detail)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and not web.wants_html(request):
        # Starlette and FastAPI answer 400 for a body they cannot parse (bytes that are not
        # UTF-8, a multipart body with too many files or fields): invalid input, so 422 like
        # every other malformed payload, with the same shape of detail.
        detail = [{"loc": ["body"], "msg": str(exc.detail), "type": "body_not_parsable"}]
        return _json(422, "validation_error", detail)
    code = _HTTP_CODES.get(exc.status_code, "error")
    if web.wants_html(request):
        return web.error_page(request, exc.status_code, code, str(exc.detail))
    return _json(exc.status_code, code, exc.detail, dict(exc.headers or {}))


async def database_error(request: Request, exc: Exception) -> JSONResponse:
    if (
        isinstance(exc, DBAPIError)
        and not exc.connection_invalidated
        and not isinstance(exc, OperationalError)
    ):
        return await unexpected_error(request, exc)
    log.warning("database unavailable: %s %s", type(exc).__name__, str(exc)[:300])
    return _json(
        503,
        "database_unavailable",
        "the database is unavailable; retry shortly",
        {"Retry-After": "5"},
    )


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error(
        "unhandled error on %s %s (request id %s)",
        request.method,
        request.url.path,
        request_id_var.get(),
        exc_info=exc,
    )
    request_id = request_id_var.get()
    # Starlette sends this response outside the middleware that adds the header.
    headers = {"X-Request-ID": request_id} if request_id else None
    return _json(500, "internal_error", f"unexpected error; quote request id {request_id}", headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(OperationalError, database_error)
    app.add_exception_handler(PoolTimeout, database_error)
    app.add_exception_handler(DBAPIError, database_error)
    app.add_exception_handler(Exception, unexpected_error)
