"""SQL for reservation records. The UNIQUE reference decides which of two simultaneous calls acts."""

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.db import AnyRow, table_of
from microshop.inventory.reservations.models import Reservation

reservations = table_of(Reservation)


async def claim(
    session: AsyncSession,
    *,
    reference: str,
    items: list[dict[str, int]],
    status: str = "committed",
    short: list[dict[str, int]] | None = None,
) -> AnyRow | None:
    """Insert the reference with its outcome; None when it already exists (a concurrent insert is waited for)."""
    statement = (
        insert(reservations)
        .values(reference=reference, status=status, items=items, short=short)
        .on_conflict_do_nothing(index_elements=["reference"])
        .returning(reservations)
    )
    return (await session.execute(statement)).first()


async def tombstone(session: AsyncSession, *, reference: str, reason: str) -> AnyRow | None:
    """Record an unknown reference as released, so it can never commit later; None if it exists now."""
    statement = (
        insert(reservations)
        .values(reference=reference, status="released", items=[], release_reason=reason)
        .on_conflict_do_nothing(index_elements=["reference"])
        .returning(reservations)
    )
    return (await session.execute(statement)).first()


async def get(session: AsyncSession, reference: str, *, lock: bool = False) -> AnyRow | None:
    """One reservation, optionally locked until the transaction ends."""
    query = select(reservations).where(reservations.c.reference == reference)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def mark(session: AsyncSession, reference: str, **values: Any) -> AnyRow:
    """Change a reservation's status (and `short` or `release_reason`)."""
    statement = (
        update(reservations)
        .where(reservations.c.reference == reference)
        .values(updated_at=func.now(), **values)
        .returning(reservations)
    )
    return (await session.execute(statement)).one()
