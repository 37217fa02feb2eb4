"""Catalog use cases: listing with stock from Inventory, and admin writes that keep Inventory in step."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.errors import NotFound
from microshop.common.security import Principal
from microshop.products.catalog import repository
from microshop.products.catalog.models import Product
from microshop.products.catalog.schemas import ProductCreate, ProductQuery, ProductRead, ProductUpdate
from microshop.products.images import PreparedImage, store_image
from microshop.products.inventory_client import InventoryClient
from microshop.products.storage import MediaStorage, delete_after_commit, discard_on_rollback


class ProductNotFound(NotFound):
    code = "product_not_found"

    def __init__(self, product_id: int) -> None:
        super().__init__(f"Product {product_id} not found")


@dataclass(frozen=True)
class ProductPage:
    items: list[ProductRead]
    total: int
    stock_known: bool


def to_read(product: Product, *, stock: int | None) -> ProductRead:
    return ProductRead(
        id=product.id,
        name=product.name,
        description=product.description,
        price=product.price,
        image_url=product.image_url,
        features=product.features,
        stock=stock,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


async def list_products(
    *, session: AsyncSession, inventory: InventoryClient, query: ProductQuery, features: dict[str, list[str]]
) -> ProductPage:
    """One page of the catalog; stock for the whole page comes from one Inventory call."""
    conditions = repository.listing_conditions(
        q=query.q, min_price=query.min_price, max_price=query.max_price, features=features
    )
    products, total = await repository.list_page(session, conditions=conditions, sort=query.sort, page=query)
    stock = await inventory.stock_or_none(product.id for product in products) if products else {}
    items = [to_read(product, stock=None if stock is None else stock.get(product.id, 0)) for product in products]
    return ProductPage(items=items, total=total, stock_known=stock is not None)


async def get_product(*, session: AsyncSession, inventory: InventoryClient, product_id: int) -> ProductRead:
    """One listed product with its stock (null when Inventory cannot be asked)."""
    product = await repository.get(session, product_id)
    if product is None:
        raise ProductNotFound(product_id)
    stock = await inventory.stock_or_none([product.id])
    return to_read(product, stock=None if stock is None else stock.get(product.id, 0))


async def _attach_image(
    *, session: AsyncSession, storage: MediaStorage, product: Product, image: PreparedImage
) -> None:
    """Store the new image (removed again on rollback); the old one goes once the change commits."""
    old_key = storage.key_for_url(product.image_url)
    key = await store_image(storage, image)
    discard_on_rollback(session, storage, key)
    product.image_url = storage.url_for(key)
    delete_after_commit(session, storage, old_key)


async def create_product(
    *,
    session: AsyncSession,
    inventory: InventoryClient,
    storage: MediaStorage,
    data: ProductCreate,
    image: PreparedImage | None,
    actor: Principal,
) -> ProductRead:
    """Create a product; its initial stock is set in Inventory before the row is committed.

    If Inventory fails, the error rolls the request's transaction back (and removes the stored image),
    so no product is left without the stock its creator asked for.
    """
    now = datetime.now(UTC)
    product = Product(
        name=data.name,
        description=data.description,
        price=data.price,
        features=data.features,
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, product)
    if image is not None:
        await _attach_image(session=session, storage=storage, product=product, image=image)
        await session.flush()
    if data.stock is not None:
        # Inside the product's transaction: if Inventory refuses, the product is not created.
        await inventory.set_stock(product.id, data.stock, on_behalf_of=actor.user_id)
    return to_read(product, stock=data.stock if data.stock is not None else 0)


async def update_product(
    *,
    session: AsyncSession,
    inventory: InventoryClient,
    storage: MediaStorage,
    product_id: int,
    data: ProductUpdate,
    image: PreparedImage | None,
    actor: Principal,
) -> ProductRead:
    """Change the fields sent; `stock` is set in Inventory, and a failure there undoes the whole update."""
    product = await repository.get(session, product_id, for_update=True)
    if product is None:
        raise ProductNotFound(product_id)
    changes = data.model_dump(exclude_unset=True, exclude={"stock"})
    if "features" in changes and changes["features"] is None:
        changes["features"] = {}
    for field, value in changes.items():
        setattr(product, field, value)
    product.updated_at = datetime.now(UTC)
    if image is not None:
        await _attach_image(session=session, storage=storage, product=product, image=image)
    await session.flush()
    if data.stock is not None:
        # The product row stays locked across the call: if Inventory refuses, the update is undone.
        await inventory.set_stock(product.id, data.stock, on_behalf_of=actor.user_id)
        return to_read(product, stock=data.stock)
    stock = await inventory.stock_or_none([product.id])
    return to_read(product, stock=None if stock is None else stock.get(product.id, 0))


async def archive_product(*, session: AsyncSession, storage: MediaStorage, product_id: int) -> None:
    """Take a product out of the catalog (kept for order history); its image file goes on commit."""
    product = await repository.get(session, product_id, for_update=True)
    if product is None:
        raise ProductNotFound(product_id)
    delete_after_commit(session, storage, storage.key_for_url(product.image_url))
    product.image_url = None
    product.archived_at = product.updated_at = datetime.now(UTC)
    await session.flush()
