"""Catalog use cases: listings with stock from the read model, and admin writes that set stock at Inventory."""

from datetime import UTC, datetime

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.db import ReadDatabase
from microshop.common.errors import NotFound
from microshop.common.pagination import Page
from microshop.common.security import Principal
from microshop.products.catalog import events, repository
from microshop.products.catalog.models import Product
from microshop.products.catalog.schemas import ProductCreate, ProductQuery, ProductRead, ProductUpdate
from microshop.products.images import PreparedImage, store_image
from microshop.products.inventory_client import InventoryClient
from microshop.products.stock import repository as stock_repository
from microshop.products.stock import service as stock_service
from microshop.products.stock.models import StockLevel
from microshop.products.storage import MediaStorage, delete_after_commit, discard_on_rollback


class ProductNotFound(NotFound):
    code = "product_not_found"

    def __init__(self, product_id: int) -> None:
        super().__init__(f"Product {product_id} not found")


def to_read(product: Product, *, level: StockLevel | None, currency: str) -> ProductRead:
    """The wire shape of a product and its stock (no read-model row yet: 0, never confirmed)."""
    return ProductRead(
        id=product.id,
        name=product.name,
        description=product.description,
        price=product.price,
        currency=currency,
        image_url=product.image_url,
        features=product.features,
        stock=level.stock if level is not None else 0,
        stock_updated_at=level.updated_at if level is not None else None,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


# A listing's rows are read straight into the wire shape (their columns are its fields), in one call
# into pydantic-core: about a third of the cost of building the models one by one in Python. As
# dicts: reading the rows' attributes (from_attributes) cost pydantic-core twice as much.
_LISTED_ROWS = TypeAdapter(list[ProductRead])


async def list_products(
    *, database: ReadDatabase, query: ProductQuery, features: dict[str, list[str]], currency: str
) -> Page[ProductRead]:
    """One page of the catalog with stock, from one statement on Products' own tables; prices in `currency`."""
    shape, values = repository.listing(query, features)
    rows, total = await repository.list_page(database, shape=shape, values=values, page=query, currency=currency)
    columns = rows[0]._fields if rows else ()
    items = _LISTED_ROWS.validate_python([dict(zip(columns, row, strict=True)) for row in rows])
    return Page.of(items, total=total, params=query)


async def get_product(*, database: ReadDatabase, product_id: int, currency: str) -> ProductRead:
    """One listed product with its stock; its price in `currency`."""
    row = await repository.get_listed(database, product_id, currency=currency)
    if row is None:
        raise ProductNotFound(product_id)
    return ProductRead.model_validate(row, from_attributes=True)


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
    currency: str,
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
    await events.product_changed(session, type=events.CREATED, product=product)
    level = None
    if data.stock is not None:
        # Inside the product's transaction: if Inventory refuses, the product is not created.
        level = await _set_stock(session, inventory, product_id=product.id, stock=data.stock, actor=actor)
    return to_read(product, level=level, currency=currency)


async def update_product(
    *,
    session: AsyncSession,
    inventory: InventoryClient,
    storage: MediaStorage,
    product_id: int,
    data: ProductUpdate,
    image: PreparedImage | None,
    actor: Principal,
    currency: str,
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
    if changes or image is not None:  # a stock-only change is Inventory's event, not the catalog's
        await events.product_changed(session, type=events.UPDATED, product=product)
    if data.stock is not None:
        # The product row stays locked across the call: if Inventory refuses, the update is undone.
        level = await _set_stock(session, inventory, product_id=product.id, stock=data.stock, actor=actor)
        return to_read(product, level=level, currency=currency)
    return to_read(product, level=await stock_repository.get(session, product.id), currency=currency)


async def _set_stock(
    session: AsyncSession, inventory: InventoryClient, *, product_id: int, stock: int, actor: Principal
) -> StockLevel | None:
    """Set the stock at Inventory, and keep its answer so the admin reads the write at once."""
    level = await inventory.set_stock(product_id, stock, on_behalf_of=actor.user_id)
    await stock_service.remember(session, levels=[level])
    return await stock_repository.get(session, product_id)


async def archive_product(*, session: AsyncSession, storage: MediaStorage, product_id: int) -> None:
    """Take a product out of the catalog (kept for order history); its image file goes on commit."""
    product = await repository.get(session, product_id, for_update=True)
    if product is None:
        raise ProductNotFound(product_id)
    delete_after_commit(session, storage, storage.key_for_url(product.image_url))
    product.image_url = None
    product.archived_at = product.updated_at = datetime.now(UTC)
    await events.product_changed(session, type=events.ARCHIVED, product=product)
    await session.flush()
