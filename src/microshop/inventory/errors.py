"""The inventory domain's errors, and database outages answered as 503."""

from collections.abc import Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError

from microshop.common.errors import Conflict, NotFound, error_body

log = structlog.get_logger(__name__)


class InsufficientStock(Conflict):
    code = "insufficient_stock"

    def __init__(self, short: Sequence[dict[str, int]], *, reference: str | None = None) -> None:
        details: dict[str, Any] = {"short": list(short)}
        if reference is not None:
            details = {"reference": reference, **details}
        super().__init__("Not enough stock", details=details)


class ReferenceConflict(Conflict):
    code = "reference_conflict"


class ReservationReleased(Conflict):
    code = "reservation_released"


class StockNotFound(NotFound):
    def __init__(self, product_id: int) -> None:
        super().__init__(f"No inventory for product {product_id}")


class ReservationNotFound(NotFound):
    def __init__(self, reference: str) -> None:
        super().__init__(f"No reservation with reference {reference}")


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database_unavailable", path=request.url.path, error=type(exc).__name__)
    return JSONResponse(
        error_body("service_unavailable", "The inventory database is not reachable; please try again"),
        status_code=503,
        headers={"Retry-After": "1"},
    )


def install_database_error_handlers(app: FastAPI) -> None:
    """A database that is down or unreachable is a 503, not a 500."""
    for exc_class in (OperationalError, InterfaceError, ConnectionError, TimeoutError):
        app.add_exception_handler(exc_class, _database_unavailable)
