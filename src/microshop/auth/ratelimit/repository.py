"""Counting hits in fixed windows: one atomic upsert for several counters."""

from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.auth.ratelimit.models import RateLimitCounter
from microshop.common.db import execute_count, table_of


async def hit(
    session: AsyncSession, *, keys: list[str], now: datetime, window: timedelta
) -> dict[str, tuple[int, datetime]]:
    """Count one hit on each key (a window that has ended starts over); returns key → (hits, window start)."""
    table = table_of(RateLimitCounter)
    expired = table.c.window_start <= now - window
    statement = (
        # Sorted, so concurrent requests lock the same rows in the same order.
        insert(table)
        .values([{"key": key, "window_start": now, "hits": 1} for key in sorted(set(keys))])
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "hits": case((expired, 1), else_=table.c.hits + 1),
                "window_start": case((expired, now), else_=table.c.window_start),
            },
        )
        .returning(table.c.key, table.c.hits, table.c.window_start)
    )
    # Counters need not survive a crash: do not wait for the WAL flush on this transaction's commit.
    await session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    rows = (await session.execute(statement)).all()
    return {row.key: (row.hits, row.window_start) for row in rows}


async def delete_expired(session: AsyncSession, *, before: datetime) -> int:
    """Drop counters whose window started before `before`."""
    return await execute_count(session, delete(RateLimitCounter).where(RateLimitCounter.window_start < before))


async def current(
    session: AsyncSession, *, keys: list[str], now: datetime, window: timedelta
) -> dict[str, tuple[int, datetime]]:
    """The hits of each key's running window, without counting one (keys with none are absent)."""
    table = table_of(RateLimitCounter)
    statement = select(table.c.key, table.c.hits, table.c.window_start).where(
        table.c.key.in_(keys), table.c.window_start > now - window
    )
    return {row.key: (row.hits, row.window_start) for row in (await session.execute(statement)).all()}
