"""Queries on sent_notifications: claim an event's email, confirm it, release it, forget old ones."""

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.auth.notifications.models import SentNotification
from microshop.common.db import execute_count


async def claim(session: AsyncSession, *, event_id: uuid.UUID, kind: str, user_id: int) -> bool:
    """Take the event's email for this attempt; False if it was taken before (the primary key decides)."""
    claimed = await session.scalar(
        insert(SentNotification)
        .values(event_id=event_id, kind=kind, user_id=user_id)
        .on_conflict_do_nothing(index_elements=[SentNotification.event_id])
        .returning(SentNotification.event_id)
    )
    return claimed is not None


async def get(session: AsyncSession, event_id: uuid.UUID) -> SentNotification | None:
    return (
        await session.execute(select(SentNotification).where(SentNotification.event_id == event_id))
    ).scalar_one_or_none()


async def confirm(session: AsyncSession, *, event_id: uuid.UUID) -> None:
    """The SMTP server accepted the email."""
    await session.execute(
        update(SentNotification).where(SentNotification.event_id == event_id).values(sent_at=func.now())
    )


async def release(session: AsyncSession, *, event_id: uuid.UUID) -> None:
    """The email was certainly not sent: the next delivery of the event may try again."""
    await session.execute(
        delete(SentNotification).where(SentNotification.event_id == event_id, SentNotification.sent_at.is_(None))
    )


async def delete_older_than(session: AsyncSession, *, before: datetime) -> int:
    return await execute_count(session, delete(SentNotification).where(SentNotification.claimed_at < before))
