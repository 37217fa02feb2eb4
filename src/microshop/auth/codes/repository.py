"""Queries on one-time codes."""

from datetime import datetime

from sqlalchemy import case, delete, update
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


async def take_try(session: AsyncSession, *, user_id: int, purpose: str, max_attempts: int) -> OneTimeCode | None:
    """Count one try on the live code, if it has tries left; the code as it is then (None: no code or no tries)."""
    statement = (
        update(OneTimeCode)
        .where(OneTimeCode.user_id == user_id, OneTimeCode.purpose == purpose, OneTimeCode.attempts < max_attempts)
        .values(attempts=OneTimeCode.attempts + 1)
        .returning(OneTimeCode)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def remove(session: AsyncSession, code_id: int) -> bool:
    """Delete a code; False when it was gone already (a concurrent request used it)."""
    return await execute_count(session, delete(OneTimeCode).where(OneTimeCode.id == code_id)) > 0


async def delete_expired(session: AsyncSession, *, before: datetime) -> int:
    return await execute_count(session, delete(OneTimeCode).where(OneTimeCode.expires_at < before))
