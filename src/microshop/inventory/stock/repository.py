"""SQL for stock and the ledger. Every write is one statement; decrements are conditional."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.db import AnyRow, table_of
from microshop.common.pagination import PageParams, paginate
from microshop.inventory.stock.models import InventoryItem, Movement

inventory = table_of(InventoryItem)
movements = table_of(Movement)
ITEM_COLUMNS = (inventory.c.product_id, inventory.c.stock, inventory.c.updated_at, inventory.c.version)


async def get(session: AsyncSession, product_id: int) -> AnyRow | None:
    """One product's stock row, or None."""
    result = await session.execute(select(*ITEM_COLUMNS).where(inventory.c.product_id == product_id))
    return result.first()


async def list_items(
    session: AsyncSession, *, low_stock: int | None, product_ids: Sequence[int] | None, page: PageParams
) -> tuple[list[InventoryItem], int]:
    """A page of stock rows in product-id order, and how many match in all."""
    query = select(InventoryItem).order_by(InventoryItem.product_id)
    if low_stock is not None:
        query = query.where(InventoryItem.stock <= low_stock)
    if product_ids is not None:
        query = query.where(InventoryItem.product_id.in_(product_ids))
    return await paginate(session, query, page)


async def create_row(session: AsyncSession, product_id: int, stock: int) -> AnyRow | None:
    """Create the product's row with this stock at version 1; None when it exists already."""
    statement = (
        insert(inventory)
        .values(product_id=product_id, stock=stock, version=1)
        .on_conflict_do_nothing(index_elements=["product_id"])
        .returning(*ITEM_COLUMNS)
    )
    return (await session.execute(statement)).first()


async def lock_stock(session: AsyncSession, product_id: int) -> int:
    """The product's stock, its row locked until the transaction ends."""
    query = select(inventory.c.stock).where(inventory.c.product_id == product_id).with_for_update()
    return (await session.execute(query)).scalar_one()


async def set_stock(session: AsyncSession, product_id: int, stock: int) -> AnyRow:
    """Set the absolute stock of an existing row."""
    statement = (
        update(inventory)
        .where(inventory.c.product_id == product_id)
        .values(stock=stock, version=inventory.c.version + 1, updated_at=func.now())
        .returning(*ITEM_COLUMNS)
    )
    return (await session.execute(statement)).one()


async def add_stock(session: AsyncSession, product_id: int, quantity: int) -> AnyRow:
    """Add units, creating the row (at version 1) if needed."""
    row = insert(inventory).values(product_id=product_id, stock=quantity, version=1)
    statement = row.on_conflict_do_update(
        index_elements=["product_id"],
        set_={
            "stock": inventory.c.stock + row.excluded.stock,
            "version": inventory.c.version + 1,
            "updated_at": func.now(),
        },
    ).returning(*ITEM_COLUMNS)
    return (await session.execute(statement)).one()


async def take_stock(session: AsyncSession, product_id: int, quantity: int) -> AnyRow | None:
    """Remove units only if there are enough: one conditional UPDATE, None when short."""
    statement = (
        update(inventory)
        .where(inventory.c.product_id == product_id, inventory.c.stock >= quantity)
        .values(stock=inventory.c.stock - quantity, version=inventory.c.version + 1, updated_at=func.now())
        .returning(*ITEM_COLUMNS)
    )
    return (await session.execute(statement)).first()


async def stock_of(session: AsyncSession, product_ids: Iterable[int]) -> dict[int, int]:
    """Current stock of each product that has a row."""
    query = select(inventory.c.product_id, inventory.c.stock).where(inventory.c.product_id.in_(list(product_ids)))
    return {row.product_id: row.stock for row in (await session.execute(query)).all()}


async def add_movements(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Write ledger rows ({product_id, delta, reason, reference, actor}) in one statement."""
    if rows:
        await session.execute(insert(movements).values(list(rows)))


async def list_movements(session: AsyncSession, *, product_id: int, page: PageParams) -> tuple[list[Movement], int]:
    """A page of one product's movements, newest first, and how many there are."""
    query = select(Movement).where(Movement.product_id == product_id).order_by(Movement.id.desc())
    return await paginate(session, query, page)
