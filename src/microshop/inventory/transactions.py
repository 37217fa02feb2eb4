"""Running a stock transaction again when PostgreSQL picked it as a deadlock or serialization victim.

Rows are always locked in product-id order, so deadlocks should not happen; if one still does, the
whole unit of work is rolled back and run again, a bounded number of times, then answered with 503
(never a 500). This is the one place where inventory code rolls back the request's session.
"""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.errors import ServiceUnavailable

log = structlog.get_logger(__name__)
T = TypeVar("T")

RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


def is_retryable(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES


async def with_retries(session: AsyncSession, work: Callable[[], Awaitable[T]], *, attempts: int) -> T:
    """Run `work` in the session's transaction; on a deadlock or serialization failure, roll back and rerun."""
    for attempt in range(1, attempts + 1):
        try:
            result = await work()
            await session.flush()
            return result
        except DBAPIError as exc:
            if not is_retryable(exc):
                raise
            await session.rollback()
            log.warning("stock_transaction_retried", attempt=attempt, sqlstate=getattr(exc.orig, "sqlstate", None))
    raise ServiceUnavailable("Stock is busy right now; please try again", code="stock_busy")
