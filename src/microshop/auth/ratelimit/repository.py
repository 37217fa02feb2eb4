"""Counting hits in a fixed window with one atomic upsert."""

from datetime import datetime, timedelta

from sqlalchemy import case, delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.auth.ratelimit.models import RateLimitCounter


async def hit(session: AsyncSession, *, key: str, now: datetime, window: timedelta) -> tuple[int, datetime]:
    """Count one hit for `key`; a window that has ended starts over. Returns (hits, window start)."""
    table = RateLimitCounter.__table__
    expired = table.c.window_start <= now - window
    statement = (
        insert(table)
        .values(key=key, window_start=now, hits=1)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "hits": case((expired, 1), else_=table.c.hits + 1),
                "window_start": case((expired, now), else_=table.c.window_start),
            },
        )
        .returning(table.c.hits, table.c.window_start)
    )
    row = (await session.execute(statement)).one()
    return row.hits, row.window_start


async def delete_expired(session: AsyncSession, *, before: datetime) -> int:
    """Drop counters whose window started before `before`."""
    result = await session.execute(delete(RateLimitCounter).where(RateLimitCounter.window_start < before))
    return result.rowcount or 0
