"""The events Products publishes about its catalog: `catalog.product.created|updated|archived`.

Each carries the product as the catalog shows it (stock aside: Inventory owns and publishes that),
so a consumer (a search index, a storefront cache) never calls back: docs/events.md#catalogproduct.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.events.outbox import record
from microshop.products.catalog.models import Product
from microshop.products.events import SOURCE, outbox

CREATED, UPDATED, ARCHIVED = "catalog.product.created", "catalog.product.updated", "catalog.product.archived"


def product_data(product: Product) -> dict[str, Any]:
    """The product in the events' shape (data_version 1)."""
    return {
        "product_id": product.id,
        "name": product.name,
        "description": product.description,
        "price": f"{product.price:.2f}",
        "image_url": product.image_url,
        "features": product.features,
        "archived": product.archived_at is not None,
        "updated_at": product.updated_at.isoformat(),
    }


async def product_changed(session: AsyncSession, *, type: str, product: Product) -> None:
    """Record a catalog event in the transaction that made the change; the relay publishes it."""
    await record(session, outbox, source=SOURCE, type=type, subject=f"product:{product.id}", data=product_data(product))
