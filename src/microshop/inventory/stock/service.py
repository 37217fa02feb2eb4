"""Stock operations: every change writes its movement and its stock.changed event in the same transaction."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.errors import InsufficientStock
from microshop.common.pagination import Page, PageParams
from microshop.inventory import events
from microshop.inventory.errors import StockNotFound
from microshop.inventory.stock import repository
from microshop.inventory.stock.schemas import (
    InventoryItemRead,
    InventoryQuery,
    MovementRead,
    StockEntry,
    VersionedItemRead,
)


async def get_item(session: AsyncSession, *, product_id: int) -> VersionedItemRead:
    """One product's stock; 404 when Inventory has no row for it."""
    row = await repository.get(session, product_id)
    if row is None:
        raise StockNotFound(product_id)
    return VersionedItemRead.model_validate(row)


async def list_items(
    session: AsyncSession, *, query: InventoryQuery, product_ids: Sequence[int] | None
) -> Page[VersionedItemRead]:
    """A page of stock rows; with `product_ids`, one page holding every one of them that exists."""
    page: PageParams = query
    if product_ids is not None:
        # Unvalidated: a batch of up to MAX_BATCH ids is one page, whatever the page size limit.
        page = PageParams.model_construct(page=1, page_size=max(len(product_ids), 1))
    rows, total = await repository.list_items(session, low_stock=query.low_stock, product_ids=product_ids, page=page)
    return Page.of([VersionedItemRead.model_validate(row) for row in rows], total=total, params=page)


async def set_stock(session: AsyncSession, *, product_id: int, stock: int, actor: str) -> InventoryItemRead:
    """Set the absolute stock (creating the row); the movement's delta is the difference, none if unchanged."""
    row = await repository.create_row(session, product_id, stock)
    if row is not None:
        delta = stock  # from no row, which is stock 0
    else:
        old = await repository.lock_stock(session, product_id)
        if old == stock:
            return InventoryItemRead.model_validate(await repository.get(session, product_id))
        row = await repository.set_stock(session, product_id, stock)
        delta = stock - old
    if delta:
        movement = {"product_id": product_id, "delta": delta, "reason": "set", "reference": None}
        await repository.add_movements(session, [{**movement, "actor": actor}])
        await events.stock_changed(session, product_id=product_id, stock=row.stock, version=row.version)
    return InventoryItemRead.model_validate(row)


async def record_entry(session: AsyncSession, *, entry: StockEntry, actor: str) -> InventoryItemRead:
    """An entry adds units; an exit takes them only if there are enough (409 and nothing written otherwise)."""
    reason = entry.reason or entry.type

    if entry.type == "in":
        row = await repository.add_stock(session, entry.product_id, entry.quantity)
        delta = entry.quantity
    else:
        taken = await repository.take_stock(session, entry.product_id, entry.quantity)
        if taken is None:
            available = (await repository.stock_of(session, [entry.product_id])).get(entry.product_id, 0)
            short = {"product_id": entry.product_id, "requested": entry.quantity, "available": available}
            raise InsufficientStock([short])
        row, delta = taken, -entry.quantity
    movement = {"product_id": entry.product_id, "delta": delta, "reason": reason, "reference": None}
    await repository.add_movements(session, [{**movement, "actor": actor}])
    await events.stock_changed(session, product_id=entry.product_id, stock=row.stock, version=row.version)
    return InventoryItemRead.model_validate(row)


async def list_movements(session: AsyncSession, *, product_id: int, page: PageParams) -> Page[MovementRead]:
    """One product's ledger, newest first (an empty page for a product never moved)."""
    rows, total = await repository.list_movements(session, product_id=product_id, page=page)
    return Page.of([MovementRead.model_validate(row) for row in rows], total=total, params=page)
