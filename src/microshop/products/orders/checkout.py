"""The checkout saga (DESIGN 5 and 10). This is the one place that commits in steps.

1. One short transaction: lock the user's active cart (`SELECT ... FOR UPDATE`), then reuse the
   order of this Idempotency-Key, or the cart's pending order, or create a `pending` order with
   prices re-read from the catalog. Commit, so the order exists whatever happens next.
2. One reservation call to Inventory, `reference = order-<id>` (idempotent there, so resending it
   after a timeout or from the recovery job can never decrement twice).
3. One short transaction: lock the order and record the outcome — `completed` (cart completed,
   its items removed), `rejected` (cart untouched) or `cancelled`.

Inventory down or slow in step 2: the order stays `pending` and the client gets 503; a retry
(same key, or none while the cart's order is pending) resumes at step 2, or the recovery job does.
Concurrent requests with one key serialize on the cart row lock: the first creates the order, the
others then find it by key (or as the cart's pending order).
"""

from dataclasses import dataclass
from decimal import Decimal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from microshop.common.errors import BadRequest, Conflict
from microshop.products.cart import repository as cart_repository
from microshop.products.cart.models import MAX_PRODUCTS
from microshop.products.inventory_client import InventoryClient, Reservation, ReservationItem
from microshop.products.orders import repository
from microshop.products.orders.models import CANCELLED, COMPLETED, PENDING, REJECTED, Order
from microshop.products.orders.schemas import CheckoutRead

log = structlog.get_logger(__name__)

SUCCESS_MESSAGE = "Compra exitosa"
MAX_ORDER_TOTAL = Decimal("99999999.99")  # orders.total is numeric(10,2)


class CartEmpty(BadRequest):
    code = "cart_empty"


class ProductUnavailable(Conflict):
    code = "product_unavailable"


class InsufficientStock(Conflict):
    code = "insufficient_stock"


class OrderTooLarge(Conflict):
    code = "order_too_large"


class OrderCancelled(Conflict):
    code = "order_cancelled"


@dataclass(frozen=True)
class OpenOrder:
    """What steps 2 and 3 need of the order, read while step 1's transaction was open."""

    order: Order
    items: list[ReservationItem]


async def checkout(
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    inventory: InventoryClient,
    user_id: int,
    idempotency_key: str | None,
) -> CheckoutRead:
    """Place (or resume, or replay) the order of the user's active cart."""
    async with sessionmaker.begin() as session:  # step 1
        opened = await _open_order(session, user_id=user_id, idempotency_key=idempotency_key)
    order = opened.order
    if order.status != PENDING:
        return outcome(order)
    assert order.reservation_reference is not None
    reservation = await inventory.reserve(  # step 2
        order.reservation_reference, opened.items, on_behalf_of=order.user_id
    )
    async with sessionmaker.begin() as session:  # step 3
        settled = await settle(session, order_id=order.id, reservation=reservation)
    return outcome(settled)


async def _open_order(session: AsyncSession, *, user_id: int, idempotency_key: str | None) -> OpenOrder:
    cart = await cart_repository.get_active_cart(session, user_id=user_id, for_update=True)
    order = await repository.get_by_key(session, user_id=user_id, key=idempotency_key) if idempotency_key else None
    if order is None and cart is not None:
        order = await repository.pending_order_for_cart(session, cart_id=cart.id)
    if order is None:
        if cart is None:
            raise CartEmpty("Your cart is empty")
        return await _create_order(session, user_id=user_id, cart_id=cart.id, idempotency_key=idempotency_key)
    if order.status != PENDING:
        return OpenOrder(order, [])  # settled: replayed as it is, nothing to reserve
    items = (await repository.items_of(session, [order.id]))[order.id]
    return OpenOrder(order, [ReservationItem(product_id=i.product_id, quantity=i.quantity) for i in items])


async def _create_order(session: AsyncSession, *, user_id: int, cart_id: int, idempotency_key: str | None) -> OpenOrder:
    rows = await cart_repository.items_with_products(session, cart_id=cart_id)
    if not rows:
        raise CartEmpty("Your cart is empty")
    archived = [row.product.id for row in rows if row.product.archived]
    if archived:
        raise ProductUnavailable(
            "Some products in your cart are no longer sold; remove them to check out",
            details={"product_ids": archived},
        )
    lines = sorted(
        (
            repository.Line(
                product_id=row.product.id,
                name=row.product.name,
                unit_price=row.product.price,
                quantity=row.item.quantity,
            )
            for row in rows
        ),
        key=lambda line: line.product_id,
    )
    total = sum((line.unit_price * line.quantity for line in lines), Decimal("0.00"))
    if total > MAX_ORDER_TOTAL or len(lines) > MAX_PRODUCTS:
        raise OrderTooLarge(
            f"An order holds at most {MAX_PRODUCTS} products and totals at most {MAX_ORDER_TOTAL}",
            details={"total": total, "products": len(lines)},
        )
    order = await repository.create_order(
        session, user_id=user_id, cart_id=cart_id, idempotency_key=idempotency_key, lines=lines
    )
    return OpenOrder(order, [ReservationItem(product_id=line.product_id, quantity=line.quantity) for line in lines])


async def settle(session: AsyncSession, *, order_id: int, reservation: Reservation) -> Order:
    """Record Inventory's answer on a pending order (locked); an order already settled is left as is."""
    order = await repository.get_order(session, order_id=order_id, for_update=True)
    assert order is not None
    if order.status != PENDING:
        return order
    if reservation.status == "committed":
        order.status = COMPLETED
        await cart_repository.complete_cart(session, cart_id=order.cart_id)
    elif reservation.status == "rejected":
        order.status = REJECTED
        order.short = [
            {"product_id": s.product_id, "requested": s.requested, "available": s.available} for s in reservation.short
        ]
    else:
        order.status = CANCELLED
    await session.flush()
    log.info("order_settled", order_id=order.id, status=order.status, reference=order.reservation_reference)
    return order


def outcome(order: Order) -> CheckoutRead:
    """The checkout answer for a settled order: the same every time it is asked (idempotent replay)."""
    if order.status == COMPLETED:
        return CheckoutRead(message=SUCCESS_MESSAGE, order_id=order.id, total=order.total)
    if order.status == REJECTED:
        raise InsufficientStock(
            "Not enough stock for some items in your cart",
            details={"order_id": order.id, "short": order.short or []},
        )
    raise OrderCancelled(f"Order {order.id} was cancelled", details={"order_id": order.id})
