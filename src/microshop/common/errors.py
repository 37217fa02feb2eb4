"""Domain exceptions and the one renderer that turns every error into the JSON envelope."""

from collections.abc import Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from microshop.common.schemas import ErrorEnvelope

log = structlog.get_logger(__name__)


class AppError(Exception):
    """An error a client can understand: rendered as `{"error": {code, message, details?}}`."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status_code = status_code or self.status_code
        self.details = details
        self.headers = headers


class BadRequest(AppError):
    status_code, code = 400, "bad_request"


class Unauthorized(AppError):
    status_code, code = 401, "unauthorized"

    def __init__(self, message: str = "Authentication required", **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kwargs)


class Forbidden(AppError):
    status_code, code = 403, "forbidden"


class NotFound(AppError):
    status_code, code = 404, "not_found"


class Conflict(AppError):
    status_code, code = 409, "conflict"


class InsufficientStock(Conflict):
    """Not enough units: Inventory refusing a reservation or an exit, Products relaying it for a checkout."""

    code = "insufficient_stock"

    def __init__(self, short: Sequence[dict[str, int]], *, message: str = "Not enough stock", **context: Any) -> None:
        super().__init__(message, details={**context, "short": list(short)})


class TooManyRequests(AppError):
    status_code, code = 429, "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))}, **kwargs)


class ServiceUnavailable(AppError):
    status_code, code = 503, "service_unavailable"


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "service_unavailable",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The error envelope every service answers with."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = jsonable_encoder(details)
    return {"error": error}


def invalid_input(location: str, name: str, message: str, *, kind: str = "value_error") -> RequestValidationError:
    """The 422 a dependency raises for input it refuses: rendered like every 422, the field in `details`."""
    return RequestValidationError([{"loc": (location, name), "msg": message, "type": kind}])


# A route's `responses=`: status code → its OpenAPI description (and model).
Responses = dict[int | str, dict[str, Any]]


def error_response_schema(description: str) -> dict[str, Any]:
    """An OpenAPI `responses=` entry documenting the envelope."""
    return {"description": description, "model": ErrorEnvelope}


async def _app_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return JSONResponse(
        error_body(exc.code, exc.message, exc.details), status_code=exc.status_code, headers=exc.headers
    )


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        # Pydantic prefixes messages of custom validators with "Value error, "; clients need only the sentence.
        {
            "loc": list(err.get("loc", ())),
            "msg": err.get("msg", "").removeprefix("Value error, "),
            "type": err.get("type", ""),
        }
        for err in exc.errors()
    ]
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"] if part not in ("body", "query", "path", "header"))
    message = f"{where}: {first['msg']}" if where else str(first["msg"])
    return JSONResponse(error_body("validation_error", message, details), status_code=422)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database_unavailable", path=request.url.path, error=type(exc).__name__)
    return JSONResponse(
        error_body("service_unavailable", "The database is not reachable; please try again"),
        status_code=503,
        headers={"Retry-After": "1"},
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled_error", path=request.url.path, method=request.method, exc_info=exc)
    return JSONResponse(error_body("internal_error", "Internal server error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Render every error, expected or not, as the envelope; never a traceback to the client."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # A database that is down, unreachable or out of connections is a 503 the client may retry, not a 500.
    for database_down in (OperationalError, InterfaceError, ConnectionError, TimeoutError, PoolTimeout):
        app.add_exception_handler(database_down, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected_error)
