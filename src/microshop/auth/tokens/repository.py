"""Queries on refresh tokens."""

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.auth.tokens.models import RefreshToken


async def add(
    session: AsyncSession, *, user_id: int, family_id: uuid.UUID, token_hash: str, now: datetime, expires_at: datetime
) -> None:
    session.add(
        RefreshToken(user_id=user_id, family_id=family_id, token_hash=token_hash, created_at=now, expires_at=expires_at)
    )
    await session.flush()


async def get_for_update(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    """The token row, locked: two concurrent refreshes with one token are decided one after the other."""
    statement = select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def mark_rotated(session: AsyncSession, *, token_id: int, now: datetime) -> None:
    await session.execute(update(RefreshToken).where(RefreshToken.id == token_id).values(rotated_at=now))


async def revoke_family(session: AsyncSession, *, family_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_all_for_user(session: AsyncSession, *, user_id: int, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def delete_expired(session: AsyncSession, *, before: datetime) -> int:
    """Drop tokens that expired before `before` (rotated or revoked ones included)."""
    result = await session.execute(delete(RefreshToken).where(RefreshToken.expires_at < before))
    return result.rowcount or 0
