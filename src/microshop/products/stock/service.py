"""Keeping the stock read model: Inventory's events as they come, and a reconciler for what they missed.

Inventory alone decides stock (checkout still reserves there); Products shows the newest figure it
has seen, so catalog, product and cart reads never call Inventory (docs/events.md#stock-read-model).
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import structlog
from prometheus_client import Counter
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from microshop.common.db import create_engine, make_sessionmaker
from microshop.common.events.broker import INVENTORY
from microshop.common.events.consumer import Subscription
from microshop.common.events.envelope import Event
from microshop.common.http import create_http_client
from microshop.common.ids import Id
from microshop.products.config import ProductsSettings
from microshop.products.inventory_client import InventoryClient, ServiceTokens, StockLevel
from microshop.products.stock import repository

log = structlog.get_logger(__name__)

STOCK_CHANGED = "inventory.stock.changed"
# A row Inventory changed this recently may have its event in flight: not counted as drift.
IN_FLIGHT = timedelta(seconds=30)
SNAPSHOT_PAGE_SIZE = 100

REPAIRED = Counter(
    "microshop_stock_read_model_repairs_total", "Stock rows the reconciler found behind Inventory (should stay 0)"
)


class StockChanged(BaseModel):
    """`inventory.stock.changed`'s data (data_version 1)."""

    product_id: Id
    stock: int = Field(ge=0)
    version: int = Field(ge=1)


async def apply_stock_changed(session: AsyncSession, *, event: Event) -> None:
    """Store the new stock unless a newer version is stored already."""
    await apply_stock_changes(session, events=[event])


async def apply_stock_changes(session: AsyncSession, *, events: Sequence[Event]) -> None:
    """A fetch's worth of stock events in one statement (the newest per product; older versions ignored)."""
    changes = [StockChanged.model_validate(event.data) for event in events]
    await repository.apply_many(
        session,
        levels=[(change.product_id, change.stock, change.version) for change in changes],
        confirmed_at=datetime.now(UTC),
    )


STOCK_LEVELS = Subscription(
    durable="products-stock-levels",
    stream=INVENTORY.name,
    subjects=(STOCK_CHANGED,),
    handler=apply_stock_changed,
    batch_handler=apply_stock_changes,
    processed=None,  # idempotent by version
)


async def remember(session: AsyncSession, *, levels: Sequence[StockLevel]) -> None:
    """Store what Inventory just answered, so the writer reads its own write before the event comes."""
    await repository.apply_many(session, levels=[_level(level) for level in levels], confirmed_at=datetime.now(UTC))


def _level(level: StockLevel) -> repository.Level:
    return (level.product_id, level.stock, level.version)


async def reconcile(
    *, sessionmaker: async_sessionmaker[AsyncSession], inventory: InventoryClient, count_repairs: bool = True
) -> int:
    """Walk Inventory's stock pages and apply every row newer than ours; returns how many were applied.

    The same pass fills an empty read model (at start, `count_repairs=False`). Otherwise a row
    applied here that Inventory changed over IN_FLIGHT ago is drift the events missed: counted in
    /metrics.
    """
    async with sessionmaker() as session:
        bootstrapping = not count_repairs or await repository.count(session) == 0
    applied, page = 0, 1
    while True:
        levels, total = await inventory.stock_page(page=page, page_size=SNAPSHOT_PAGE_SIZE)
        async with sessionmaker.begin() as session:
            ours = await repository.versions(session, [level.product_id for level in levels])
            newer = [level for level in levels if ours.get(level.product_id, 0) < level.version]
            await repository.apply_many(
                session, levels=[_level(level) for level in newer], confirmed_at=datetime.now(UTC)
            )
            applied += len(newer)
            for level in newer:
                if not bootstrapping and level.updated_at < datetime.now(UTC) - IN_FLIGHT:
                    REPAIRED.inc()
                    log.warning("stock_read_model_repaired", product_id=level.product_id, version=level.version)
        if not levels or page * SNAPSHOT_PAGE_SIZE >= total:
            return applied
        page += 1


async def rebuild(*, sessionmaker: async_sessionmaker[AsyncSession], inventory: InventoryClient) -> int:
    """Make the read model Inventory's snapshot again (`microshop projections rebuild`); returns the rows walked.

    Never emptied first, so reads keep their figures while it runs. Every row the events have not
    written since the rebuild began is replaced by Inventory's, even one whose version is higher
    (Inventory restored from a backup, say); rows Inventory no longer lists go at the end.
    """
    started_at = datetime.now(UTC)
    walked, page = 0, 1
    while True:
        levels, total = await inventory.stock_page(page=page, page_size=SNAPSHOT_PAGE_SIZE)
        async with sessionmaker.begin() as session:
            await repository.replace_many(
                session,
                levels=[_level(level) for level in levels],
                confirmed_at=datetime.now(UTC),
                unless_written_since=started_at,
            )
        walked += len(levels)
        if not levels or page * SNAPSHOT_PAGE_SIZE >= total:
            break
        page += 1
    async with sessionmaker.begin() as session:
        await repository.delete_untouched_since(session, started_at)
    return walked


async def rebuild_from_settings(settings: ProductsSettings) -> int:
    """`microshop projections rebuild`: the same as `rebuild`, with a database and Inventory client of its own."""
    engine = create_engine(settings.database_url, pool_size=2, application_name=f"{settings.service_name}-rebuild")
    try:
        async with create_http_client(settings) as http:
            inventory = InventoryClient(http, settings, ServiceTokens(http, settings))
            return await rebuild(sessionmaker=make_sessionmaker(engine), inventory=inventory)
    finally:
        await engine.dispose()
