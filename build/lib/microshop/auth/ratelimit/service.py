"""Rate limits shared by every replica: counters in PostgreSQL, 429 with Retry-After when exceeded."""

import hashlib
import math
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.auth.ratelimit import repository
from microshop.common.db import own_transaction
from microshop.common.errors import TooManyRequests


def storage_key(key: str) -> str:
    """`kind:scope:value` as `kind:scope:<sha256 of value>`: every key fits the column, whatever the value."""
    kind, scope, value = key.split(":", 2)
    return f"{kind}:{scope}:{hashlib.sha256(value.encode()).hexdigest()}"


async def hit(
    session: AsyncSession,
    *,
    limits: dict[str, int],
    window_seconds: int,
    message: str,
    code: str = "rate_limited",
) -> None:
    """Count one hit on each key of `limits` (key → allowed hits per window); past a limit, 429."""
    now = datetime.now(UTC)
    window = timedelta(seconds=window_seconds)
    stored = {storage_key(key): allowed for key, allowed in limits.items()}
    # In a transaction of its own: the hit counts even when the request then fails, and no lock on
    # the counter stays held across the bcrypt work that usually follows.
    async with own_transaction(session) as counters:
        counts = await repository.hit(counters, keys=list(stored), now=now, window=window)
    exceeded = [started for key, (hits, started) in counts.items() if hits > stored[key]]
    if exceeded:
        retry_after = math.ceil((max(exceeded) + window - now).total_seconds())
        raise TooManyRequests(message, code=code, retry_after=retry_after)


async def count(session: AsyncSession, *, keys: list[str], window_seconds: int) -> dict[str, int]:
    """Count one event (e.g. a failure) on each key in a transaction of its own; never refuses. Key → events."""
    window = timedelta(seconds=window_seconds)
    stored = {storage_key(key): key for key in keys}
    async with own_transaction(session) as counters:
        counts = await repository.hit(counters, keys=list(stored), now=datetime.now(UTC), window=window)
    return {stored[key]: hits for key, (hits, _) in counts.items()}


async def current(session: AsyncSession, *, keys: list[str], window_seconds: int) -> dict[str, tuple[int, datetime]]:
    """Key → (events, window start) of the running window, counting nothing; keys with none are absent."""
    stored = {storage_key(key): key for key in keys}
    window = timedelta(seconds=window_seconds)
    counts = await repository.current(session, keys=list(stored), now=datetime.now(UTC), window=window)
    return {stored[key]: value for key, value in counts.items()}


def refuse(started: datetime, *, window_seconds: int, message: str, code: str = "rate_limited") -> TooManyRequests:
    """The 429 for a window that started at `started`."""
    retry_after = math.ceil((started + timedelta(seconds=window_seconds) - datetime.now(UTC)).total_seconds())
    return TooManyRequests(message, code=code, retry_after=max(retry_after, 1))
