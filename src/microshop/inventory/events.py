"""The events Inventory publishes, through its own outbox (`inventory.outbox`)."""

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.events.outbox import outbox_table, record
from microshop.inventory.base import Base

outbox = outbox_table(Base.metadata)

STOCK_CHANGED = "inventory.stock.changed"


async def stock_changed(session: AsyncSession, *, product_id: int, stock: int, version: int) -> None:
    """Announce a product's new absolute stock and version, in the transaction that changed it."""
    await record(
        session,
        outbox,
        source="inventory",
        type=STOCK_CHANGED,
        subject=f"product:{product_id}",
        data={"product_id": product_id, "stock": stock, "version": version},
    )
