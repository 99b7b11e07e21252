"""AppError, the errors every domain raises, and their JSON rendering."""

from typing import Any


class AppError(Exception):
    """An error a client can act on; carries its HTTP status and a stable code."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, detail: Any = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail if detail is not None else message
        self.headers = headers or {}

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "detail": self.detail}


class Unauthenticated(AppError):
    status_code = 401
    code = "unauthenticated"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"


class InvalidInput(AppError):
    """A domain-level validation failure (the payload parsed, but its content is refused)."""

    status_code = 422
    code = "validation_error"

    def __init__(self, message: str, *, field: str | None = None):
        loc = ["body", field] if field else ["body"]
        super().__init__(message, detail=[{"loc": loc, "msg": message, "type": "value_error"}])


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"


class ServiceUnavailable(AppError):
    status_code = 503
    code = "service_unavailable"
