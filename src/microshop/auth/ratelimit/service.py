"""Rate limits shared by every replica: counters in PostgreSQL, 429 with Retry-After when exceeded."""

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.auth.ratelimit import repository
from microshop.common.errors import TooManyRequests


async def hit(
    session: AsyncSession, *, key: str, limit: int, window_seconds: int, message: str, code: str = "rate_limited"
) -> None:
    """Count one hit (committed); past `limit` hits in the window raise 429 with the seconds until it ends."""
    now = datetime.now(UTC)
    window = timedelta(seconds=window_seconds)
    hits, started = await repository.hit(session, key=key, now=now, window=window)
    # Committed at once: the hit counts even when the request then fails, and no transaction stays
    # open across the bcrypt work that usually follows.
    await session.commit()
    if hits > limit:
        retry_after = math.ceil((started + window - now).total_seconds())
        raise TooManyRequests(message, code=code, retry_after=retry_after)
