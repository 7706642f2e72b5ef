"""One tree of domain errors, mapped once to HTTP answers.

Body of every error: ``{"detail": "<what is wrong, naming the field or id>",
"code": "<stable_snake_code>"}``.
"""

from __future__ import annotations

import logging
from typing import Final, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo.errors import GeoError
from planning.errors import InfeasibleError, PlanningError, SolverError

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """Base of the errors a service raises; ``code`` is stable for clients."""

    status_code = 400
    default_code = "bad_request"

    def __init__(self, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code


class NotFoundError(DomainError):
    status_code = 404
    default_code = "not_found"


class ConflictError(DomainError):
    status_code = 409
    default_code = "conflict"


class InvalidInputError(DomainError):
    status_code = 422
    default_code = "invalid_input"


class ForbiddenError(DomainError):
    status_code = 403
    default_code = "forbidden"


class UnauthorizedError(DomainError):
    status_code = 401
    default_code = "unauthorized"


class TooManyRequestsError(DomainError):
    status_code = 429
    default_code = "too_many_requests"

    def __init__(
        self, detail: str, code: str | None = None, retry_after_s: int = 60
    ) -> None:
        super().__init__(detail, code)
        self.retry_after_s = retry_after_s


class PayloadTooLargeError(DomainError):
    status_code = 413
    default_code = "payload_too_large"


class UnavailableError(DomainError):
    status_code = 503
    default_code = "unavailable"


class GatewayTimeoutError(DomainError):
    status_code = 504
    default_code = "timeout"


STATUS_CODES: Final[dict[type[Exception], int]] = {
    NotFoundError: 404,
    ConflictError: 409,
    InvalidInputError: 422,
    ForbiddenError: 403,
    UnauthorizedError: 401,
    PayloadTooLargeError: 413,
    TooManyRequestsError: 429,
    UnavailableError: 503,
    GatewayTimeoutError: 504,
}


def _geo_code(exc: GeoError) -> str:
    name = type(exc).__name__.removesuffix("Error")
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def error_body(detail: str, code: str) -> dict[str, str]:
    return {"detail": detail, "code": code}


def add_exception_handlers(app: FastAPI) -> None:
    """Register the mapping of every error to a JSON answer."""

    async def domain(_: Request, exc: Exception) -> JSONResponse:
        exc = cast(DomainError, exc)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if isinstance(exc, TooManyRequestsError):
            headers = {"Retry-After": str(exc.retry_after_s)}
        return JSONResponse(
            error_body(exc.detail, exc.code),
            status_code=exc.status_code,
            headers=headers,
        )

    async def geo(_: Request, exc: Exception) -> JSONResponse:
        exc = cast(GeoError, exc)
        return JSONResponse(error_body(str(exc), _geo_code(exc)), status_code=422)

    async def validation(_: Request, exc: Exception) -> JSONResponse:
        exc = cast(RequestValidationError, exc)
        parts = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
            parts.append(f"{loc}: {err.get('msg', 'invalid')}")
        return JSONResponse(error_body("; ".join(parts), "invalid_input"), 422)

    async def http(_: Request, exc: Exception) -> JSONResponse:
        exc = cast(StarletteHTTPException, exc)
        code = {404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(
            error_body(str(exc.detail), code),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.error(
            "unhandled error on %s %s", request.method, request.url.path, exc_info=exc
        )
        return JSONResponse(error_body("internal error", "internal_error"), 500)

    app.add_exception_handler(DomainError, domain)

    async def planning(_: Request, exc: Exception) -> JSONResponse:
        code = (
            "infeasible"
            if isinstance(exc, InfeasibleError)
            else "solver_not_optimal"
            if isinstance(exc, SolverError)
            else _geo_code(cast(GeoError, exc))
        )
        return JSONResponse(error_body(str(exc), code), status_code=422)

    app.add_exception_handler(GeoError, geo)
    app.add_exception_handler(PlanningError, planning)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(Exception, unexpected)
