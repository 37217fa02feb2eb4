"""Queries on one-time codes."""

from datetime import datetime

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.auth.codes.models import OneTimeCode
from microshop.common.db import execute_count, table_of


async def replace(
    session: AsyncSession,
    *,
    user_id: int,
    purpose: str,
    code_hash: str,
    now: datetime,
    expires_at: datetime,
    max_attempts: int,
) -> None:
    """Store a new code for (user, purpose). The one it replaces stays valid until it expires, sharing
    the try counter, unless it is already used up (then both start afresh)."""
    table = table_of(OneTimeCode)
    keep = (table.c.expires_at > now) & (table.c.attempts < max_attempts)
    fresh = {"code_hash": code_hash, "created_at": now, "expires_at": expires_at}
    statement = (
        insert(OneTimeCode)
        .values(user_id=user_id, purpose=purpose, attempts=0, **fresh)
        .on_conflict_do_update(
            constraint="uq_one_time_codes_user_id_purpose",
            set_={
                **fresh,
                "previous_code_hash": case((keep, table.c.code_hash), else_=None),
                "previous_expires_at": case((keep, table.c.expires_at), else_=None),
                "attempts": case((keep, table.c.attempts), else_=0),
            },
        )
    )
    await session.execute(statement)


async def get_for_update(session: AsyncSession, *, user_id: int, purpose: str) -> OneTimeCode | None:
    """The live code, locked so concurrent guesses are counted one by one."""
    statement = (
        select(OneTimeCode).where(OneTimeCode.user_id == user_id, OneTimeCode.purpose == purpose).with_for_update()
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def count_attempt(session: AsyncSession, code_id: int) -> None:
    statement = update(OneTimeCode).where(OneTimeCode.id == code_id).values(attempts=OneTimeCode.attempts + 1)
    await session.execute(statement)


async def remove(session: AsyncSession, code_id: int) -> None:
    await session.execute(delete(OneTimeCode).where(OneTimeCode.id == code_id))


async def delete_expired(session: AsyncSession, *, before: datetime) -> int:
    return await execute_count(session, delete(OneTimeCode).where(OneTimeCode.expires_at < before))
