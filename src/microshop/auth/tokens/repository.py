"""Queries on refresh tokens and their families.

Lock order, the same in every flow (login, refresh, logout, password reset), so no two of them can
deadlock: the user row (only `FOR NO KEY UPDATE`, which never blocks the key-share lock a token insert
takes), then family rows (`FOR UPDATE`, by id when several), then token rows.
"""

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.auth.tokens.models import RefreshFamily, RefreshToken
from microshop.common.db import execute_count


async def add_family(session: AsyncSession, *, user_id: int, now: datetime) -> uuid.UUID:
    family = RefreshFamily(id=uuid.uuid4(), user_id=user_id, created_at=now)
    session.add(family)
    await session.flush()
    return family.id


async def add(
    session: AsyncSession, *, user_id: int, family_id: uuid.UUID, token_hash: str, now: datetime, expires_at: datetime
) -> None:
    session.add(
        RefreshToken(user_id=user_id, family_id=family_id, token_hash=token_hash, created_at=now, expires_at=expires_at)
    )
    await session.flush()


async def family_of(session: AsyncSession, token_hash: str) -> uuid.UUID | None:
    """The family a token belongs to, read without a lock (the family is locked next)."""
    statement = select(RefreshToken.family_id).where(RefreshToken.token_hash == token_hash)
    return (await session.execute(statement)).scalar_one_or_none()


async def lock_family(session: AsyncSession, family_id: uuid.UUID) -> RefreshFamily | None:
    """The family row, locked: refreshes, logouts and resets of one session run one after the other."""
    statement = (
        select(RefreshFamily)
        .where(RefreshFamily.id == family_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def get_for_update(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    """The token row, locked and read fresh (after its family's lock)."""
    statement = (
        select(RefreshToken)
        .where(RefreshToken.token_hash == token_hash)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def mark_rotated(session: AsyncSession, *, token_id: int, now: datetime) -> None:
    await session.execute(update(RefreshToken).where(RefreshToken.id == token_id).values(rotated_at=now))


async def revoke_families(session: AsyncSession, family_ids: list[uuid.UUID], *, now: datetime, reason: str) -> None:
    """Mark locked families revoked, and their tokens with them."""
    if not family_ids:
        return
    await session.execute(
        update(RefreshFamily)
        .where(RefreshFamily.id.in_(family_ids), RefreshFamily.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id.in_(family_ids), RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def lock_families_of_user(session: AsyncSession, user_id: int) -> list[uuid.UUID]:
    """Every family of a user, locked in id order."""
    statement = (
        select(RefreshFamily.id).where(RefreshFamily.user_id == user_id).order_by(RefreshFamily.id).with_for_update()
    )
    return list((await session.execute(statement)).scalars())


async def delete_expired(session: AsyncSession, *, before: datetime) -> int:
    """Drop tokens that expired before `before` (rotated or revoked ones included), then empty families."""
    deleted = await execute_count(session, delete(RefreshToken).where(RefreshToken.expires_at < before))
    no_tokens = ~select(RefreshToken.id).where(RefreshToken.family_id == RefreshFamily.id).exists()
    await session.execute(delete(RefreshFamily).where(RefreshFamily.created_at < before, no_tokens))
    return deleted
