"""SQL of the stock read model."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.db import table_of
from microshop.products.stock.models import StockLevel

stock_levels = table_of(StockLevel)


# (product_id, stock, version): one figure Inventory published or answered.
Level = tuple[int, int, int]


async def apply_many(session: AsyncSession, *, levels: Sequence[Level], confirmed_at: datetime) -> None:
    """Store each level whose version is newer than the stored one, in one statement."""
    await _upsert(session, levels, confirmed_at=confirmed_at, unless=None)


async def replace_many(
    session: AsyncSession, *, levels: Sequence[Level], confirmed_at: datetime, unless_written_since: datetime
) -> None:
    """Store each level whatever the stored version, unless a newer one was stored since `unless_written_since`."""
    await _upsert(session, levels, confirmed_at=confirmed_at, unless=unless_written_since)


async def _upsert(
    session: AsyncSession, levels: Sequence[Level], *, confirmed_at: datetime, unless: datetime | None
) -> None:
    """One row per product (the newest), in product-id order: the order every writer of these rows locks
    them in, so two batches, or a batch and a checkout, never deadlock."""
    newest: dict[int, tuple[int, int]] = {}
    for product_id, stock, version in levels:
        if product_id not in newest or newest[product_id][1] < version:
            newest[product_id] = (stock, version)
    if not newest:
        return
    rows = insert(stock_levels).values(
        [
            {"product_id": product_id, "stock": stock, "version": version, "updated_at": confirmed_at}
            for product_id, (stock, version) in sorted(newest.items())
        ]
    )
    newer = stock_levels.c.version < rows.excluded.version
    await session.execute(
        rows.on_conflict_do_update(
            index_elements=["product_id"],
            set_={
                "stock": rows.excluded.stock,
                "version": rows.excluded.version,
                "updated_at": rows.excluded.updated_at,
            },
            where=newer if unless is None else or_(stock_levels.c.updated_at < unless, newer),
        )
    )


async def versions(session: AsyncSession, product_ids: Sequence[int]) -> dict[int, int]:
    """The stored version of each of these products that has one."""
    rows = await session.execute(
        select(stock_levels.c.product_id, stock_levels.c.version).where(stock_levels.c.product_id.in_(product_ids))
    )
    return {row.product_id: row.version for row in rows}


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(stock_levels)) or 0)


async def delete_untouched_since(session: AsyncSession, moment: datetime) -> None:
    """Drop the rows nothing has written since `moment` (a rebuild's end: products Inventory no longer lists)."""
    await session.execute(delete(stock_levels).where(stock_levels.c.updated_at < moment))


async def get(session: AsyncSession, product_id: int) -> StockLevel | None:
    return await session.get(StockLevel, product_id, populate_existing=True)
