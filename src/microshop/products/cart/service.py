"""The cart: add (merging), view with current prices and stock, change, remove, empty."""

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.errors import Conflict, NotFound
from microshop.products.cart import repository
from microshop.products.cart.models import MAX_PRODUCTS, MAX_QUANTITY, Cart, CartItem
from microshop.products.cart.schemas import CartItemRead, CartRead
from microshop.products.catalog.service import ProductNotFound
from microshop.products.orders import repository as orders_repository


class CartItemNotFound(NotFound):
    code = "cart_item_not_found"


class QuantityLimit(Conflict):
    code = "quantity_limit"


class CartFull(Conflict):
    code = "cart_full"


class CheckoutPending(Conflict):
    code = "checkout_pending"


async def view_cart(*, session: AsyncSession, user_id: int, currency: str) -> CartRead:
    """The user's active cart with current prices and stock (from the read model, in the same statement)."""
    cart = await repository.get_active_cart(session, user_id=user_id)
    if cart is None:
        return CartRead(id=None, items=[], total=Decimal("0.00"), currency=currency)
    rows = await repository.items_with_products(session, cart_id=cart.id)
    items = []
    for row in rows:
        items.append(
            CartItemRead(
                id=row.item.id,
                product_id=row.product.id,
                name=row.product.name,
                unit_price=row.product.price,
                quantity=row.item.quantity,
                line_total=row.product.price * row.item.quantity,
                stock=row.stock,
                available=not row.product.archived and row.stock >= row.item.quantity,
            )
        )
    total = sum((item.line_total for item in items), Decimal("0.00"))
    return CartRead(id=cart.id, items=items, total=total, currency=currency)


async def _ensure_no_pending_checkout(session: AsyncSession, cart: Cart) -> None:
    if await orders_repository.pending_order_for_cart(session, cart_id=cart.id) is not None:
        raise CheckoutPending("A checkout of this cart is in progress; retry the checkout to finish it first")


async def add_item(*, session: AsyncSession, user_id: int, product_id: int, quantity: int, currency: str) -> CartRead:
    """Put a product in the user's active cart (created on demand), adding to any quantity there."""
    product = await repository.get_product(session, product_id)
    if product is None or product.archived:
        raise ProductNotFound(product_id)
    cart = await repository.get_or_create_active_cart(session, user_id=user_id)
    await _ensure_no_pending_checkout(session, cart)
    existing = await repository.get_item_for_product(session, cart_id=cart.id, product_id=product_id)
    if existing is None:
        if await repository.count_items(session, cart_id=cart.id) >= MAX_PRODUCTS:
            raise CartFull(f"A cart holds at most {MAX_PRODUCTS} different products", details={"max": MAX_PRODUCTS})
        await repository.add_item(session, cart_id=cart.id, product_id=product_id, quantity=quantity)
        return await view_cart(session=session, user_id=user_id, currency=currency)
    merged = existing.quantity + quantity
    if merged > MAX_QUANTITY:
        raise QuantityLimit(
            f"A cart holds at most {MAX_QUANTITY} units of a product ({existing.quantity} already there)",
            details={"product_id": product_id, "in_cart": existing.quantity, "max": MAX_QUANTITY},
        )
    await repository.set_quantity(session, item_id=existing.id, quantity=merged)
    return await view_cart(session=session, user_id=user_id, currency=currency)


async def _lock_item_cart(session: AsyncSession, item: CartItem) -> None:
    cart = await repository.lock_cart(session, cart_id=item.cart_id)
    if cart is None:
        raise CartItemNotFound(f"Cart item {item.id} not found")
    await _ensure_no_pending_checkout(session, cart)


async def set_quantity(
    *, session: AsyncSession, user_id: int, item: CartItem, quantity: int, currency: str
) -> CartRead:
    """Set one item's quantity."""
    await _lock_item_cart(session, item)
    if not await repository.set_quantity(session, item_id=item.id, quantity=quantity):
        raise CartItemNotFound(f"Cart item {item.id} not found")
    return await view_cart(session=session, user_id=user_id, currency=currency)


async def remove_item(*, session: AsyncSession, user_id: int, item: CartItem, currency: str) -> CartRead:
    """Take one item out of the cart."""
    await _lock_item_cart(session, item)
    if not await repository.delete_item(session, item_id=item.id):
        raise CartItemNotFound(f"Cart item {item.id} not found")
    return await view_cart(session=session, user_id=user_id, currency=currency)


async def empty_cart(*, session: AsyncSession, user_id: int, currency: str) -> CartRead:
    """Remove every item of the user's active cart (nothing to do without one)."""
    cart = await repository.get_active_cart(session, user_id=user_id, for_update=True)
    if cart is not None:
        await _ensure_no_pending_checkout(session, cart)
        await repository.delete_items(session, cart_id=cart.id)
    return await view_cart(session=session, user_id=user_id, currency=currency)
