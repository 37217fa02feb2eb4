"""SQL for carts and cart items."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.db import AnyRow
from microshop.products.cart.models import CART_ACTIVE, CART_COMPLETED, Cart, CartItem
from microshop.products.catalog.models import Product
from microshop.products.stock.models import StockLevel


@dataclass(frozen=True)
class ProductFacts:
    """What a cart or an order needs to know about a product right now."""

    id: int
    name: str
    price: Decimal
    archived_at: datetime | None

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


@dataclass(frozen=True)
class ItemWithProduct:
    item: CartItem
    product: ProductFacts
    stock: int


def _facts(row: AnyRow) -> ProductFacts:
    return ProductFacts(id=row.id, name=row.name, price=row.price, archived_at=row.archived_at)


_PRODUCT_COLUMNS = (Product.id, Product.name, Product.price, Product.archived_at)


async def get_product(session: AsyncSession, product_id: int) -> ProductFacts | None:
    row = (await session.execute(select(*_PRODUCT_COLUMNS).where(Product.id == product_id))).one_or_none()
    return _facts(row) if row else None


async def get_active_cart(session: AsyncSession, *, user_id: int, for_update: bool = False) -> Cart | None:
    """The user's active cart; with `for_update`, locked until the transaction ends."""
    query = select(Cart).where(Cart.user_id == user_id, Cart.status == CART_ACTIVE)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def lock_cart(session: AsyncSession, *, cart_id: int) -> Cart | None:
    """Lock an active cart by id (None if it is no longer active)."""
    query = select(Cart).where(Cart.id == cart_id, Cart.status == CART_ACTIVE).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_or_create_active_cart(session: AsyncSession, *, user_id: int) -> Cart:
    """The user's active cart, created if needed, locked; concurrent callers converge on one row."""
    await session.execute(
        insert(Cart)
        .values(user_id=user_id, status=CART_ACTIVE)
        .on_conflict_do_nothing(index_elements=["user_id"], index_where=text("status = 'active'"))
    )
    cart = await get_active_cart(session, user_id=user_id, for_update=True)
    assert cart is not None
    return cart


async def items_with_products(session: AsyncSession, *, cart_id: int) -> list[ItemWithProduct]:
    """A cart's items with their products' current name, price, archive mark and stock, oldest first."""
    rows = await session.execute(
        select(CartItem, *_PRODUCT_COLUMNS, func.coalesce(StockLevel.stock, 0).label("stock"))
        .join(Product, Product.id == CartItem.product_id)
        .outerjoin(StockLevel, StockLevel.product_id == Product.id)
        .where(CartItem.cart_id == cart_id)
        .order_by(CartItem.id)
    )
    return [ItemWithProduct(item=row.CartItem, product=_facts(row), stock=row.stock) for row in rows]


async def get_owned_item(session: AsyncSession, *, item_id: int, user_id: int) -> CartItem | None:
    """An item of the user's active cart; None for anyone else's (so it is a 404, never a 403)."""
    query = (
        select(CartItem)
        .join(Cart, Cart.id == CartItem.cart_id)
        .where(CartItem.id == item_id, Cart.user_id == user_id, Cart.status == CART_ACTIVE)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get_item_for_product(session: AsyncSession, *, cart_id: int, product_id: int) -> CartItem | None:
    query = select(CartItem).where(CartItem.cart_id == cart_id, CartItem.product_id == product_id)
    return (await session.execute(query)).scalar_one_or_none()


async def count_items(session: AsyncSession, *, cart_id: int) -> int:
    return int(await session.scalar(select(func.count()).select_from(CartItem).where(CartItem.cart_id == cart_id)) or 0)


async def add_item(session: AsyncSession, *, cart_id: int, product_id: int, quantity: int) -> None:
    session.add(CartItem(cart_id=cart_id, product_id=product_id, quantity=quantity))
    await session.flush()


async def set_quantity(session: AsyncSession, *, item_id: int, quantity: int) -> bool:
    """Set an item's quantity; False when the item is gone."""
    result = await session.execute(
        update(CartItem).where(CartItem.id == item_id).values(quantity=quantity).returning(CartItem.id)
    )
    return result.scalar_one_or_none() is not None


async def delete_item(session: AsyncSession, *, item_id: int) -> bool:
    result = await session.execute(delete(CartItem).where(CartItem.id == item_id).returning(CartItem.id))
    return result.scalar_one_or_none() is not None


async def delete_items(session: AsyncSession, *, cart_id: int) -> None:
    await session.execute(delete(CartItem).where(CartItem.cart_id == cart_id))


async def complete_cart(session: AsyncSession, *, cart_id: int) -> None:
    """The cart was bought: mark it completed and remove its items (the next add starts a new cart), in one
    statement."""
    items = delete(CartItem).where(CartItem.cart_id == cart_id).cte("bought_items")
    await session.execute(update(Cart).where(Cart.id == cart_id).values(status=CART_COMPLETED).add_cte(items))
