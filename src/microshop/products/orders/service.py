"""Reading orders (the customer's and the admin's), and the moves people make: cancel, mark paid, ship, deliver.

Every move goes through orders/lifecycle.py (checked, recorded, announced).
"""

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.errors import Forbidden
from microshop.common.pagination import Page
from microshop.common.security import Principal
from microshop.products.addresses.schemas import AddressFields
from microshop.products.inventory_client import InventoryClient
from microshop.products.orders import lifecycle, repository
from microshop.products.orders.lifecycle import OrderNotFound
from microshop.products.orders.models import CANCELLED, DELIVERED, PAID, PLACED, SHIPPED, UNPAID, Order
from microshop.products.orders.schemas import (
    AdminOrdersQuery,
    OrderEventRead,
    OrderItemRead,
    OrderRead,
    OrdersQuery,
    PaymentRead,
    ShippingRead,
)


async def read_orders(session: AsyncSession, *, orders: list[Order]) -> list[OrderRead]:
    """Orders with their item snapshots and history, loaded in two queries whatever their number."""
    ids = [order.id for order in orders]
    items, history = await repository.items_of(session, ids), await repository.history_of(session, ids)
    return [
        OrderRead(
            id=order.id,
            user_id=order.user_id,
            status=order.status,  # the CHECK constraints keep both in their lists
            payment_status=order.payment_status,
            currency=order.currency,
            subtotal=order.subtotal,
            shipping_total=order.shipping_total,
            total=order.total,
            created_at=order.created_at,
            placed_at=order.placed_at,
            items=[OrderItemRead.model_validate(item) for item in items[order.id]],
            address=AddressFields.model_validate(order.address) if order.address else None,
            shipping=ShippingRead(
                method_id=order.shipping_method_id,
                name=order.shipping_name,
                price=order.shipping_total,
                pickup=order.shipping_pickup,
            ),
            payment=PaymentRead(
                method=order.payment_method,
                name=order.payment_name,
                instructions=order.payment_instructions,
                status=order.payment_status,
            ),
            carrier=order.carrier,
            tracking_number=order.tracking_number,
            history=[OrderEventRead.model_validate(event) for event in history[order.id]],
        )
        for order in orders
    ]


async def list_orders(*, session: AsyncSession, caller: Principal, query: OrdersQuery) -> Page[OrderRead]:
    """The caller's orders, newest first; an admin asking for `all` gets everyone's."""
    if query.all and not caller.is_admin:
        raise Forbidden("Only admins may list every user's orders")
    statement = repository.filtered(user_id=None if query.all else caller.user_id)
    orders, total = await repository.list_orders(session, query=statement, page=query)
    return Page.of(await read_orders(session, orders=orders), total=total, params=query)


async def list_all_orders(*, session: AsyncSession, query: AdminOrdersQuery) -> Page[OrderRead]:
    """Every user's orders matching the admin's filters, newest first."""
    orders, total = await repository.list_orders(session, query=repository.filtered(query), page=query)
    return Page.of(await read_orders(session, orders=orders), total=total, params=query)


async def get_visible_order(*, session: AsyncSession, caller: Principal, order_id: int) -> Order:
    """An order the caller may see: their own, or any for an admin; anyone else's is not found."""
    order = await repository.get_order(session, order_id=order_id)
    if order is None or (order.user_id != caller.user_id and not caller.is_admin):
        raise OrderNotFound(f"Order {order_id} not found")
    return order


async def get_order(*, session: AsyncSession, order: Order) -> OrderRead:
    """One order with its items and history."""
    return (await read_orders(session, orders=[order]))[0]


async def cancel_order(
    *, session: AsyncSession, inventory: InventoryClient, caller: Principal, order_id: int, note: str | None = None
) -> OrderRead:
    """Cancel an order: its units go back to Inventory (`reason=cancel`) and a paid payment is refunded.

    A customer may cancel their own placed, unpaid order; an admin any order the lifecycle allows.
    The order stays locked across the call to Inventory, so of two cancels sent at once the second
    waits, then finds the order cancelled: 409 `invalid_transition`, and the stock is released once.
    Releasing a pending order's reference tombstones it at Inventory, so a checkout still in flight
    for it can no longer commit.
    """
    order = await lifecycle.lock(session, order_id=order_id)
    if not caller.is_admin:
        if order.user_id != caller.user_id:
            raise OrderNotFound(f"Order {order_id} not found")
        if (order.status, order.payment_status) != (PLACED, UNPAID):
            raise Forbidden("You can cancel an order yourself while it is placed and unpaid; ask the shop otherwise")
    reference = order.reservation_reference
    assert reference is not None

    async def release() -> None:
        await inventory.release(reference, reason="cancel")

    await lifecycle.apply(
        session, order=order, actor=lifecycle.Actor.of(caller), to=CANCELLED, note=note, before=release
    )
    return await get_order(session=session, order=order)


async def mark_paid(*, session: AsyncSession, admin: Principal, order_id: int, note: str | None) -> OrderRead:
    """The admin saw the money arrive (offline payments)."""
    order = await lifecycle.lock(session, order_id=order_id)
    await lifecycle.apply(session, order=order, actor=lifecycle.Actor.of(admin), payment=PAID, note=note)
    return await get_order(session=session, order=order)


async def ship(
    *, session: AsyncSession, admin: Principal, order_id: int, carrier: str, tracking_number: str, note: str | None
) -> OrderRead:
    """The parcel left with a carrier, under a tracking number."""
    order = await lifecycle.lock(session, order_id=order_id)
    await lifecycle.apply(
        session,
        order=order,
        actor=lifecycle.Actor.of(admin),
        to=SHIPPED,
        note=note,
        carrier=carrier,
        tracking_number=tracking_number,
    )
    return await get_order(session=session, order=order)


async def deliver(*, session: AsyncSession, admin: Principal, order_id: int, note: str | None) -> OrderRead:
    """The parcel reached the customer (or they collected it)."""
    order = await lifecycle.lock(session, order_id=order_id)
    await lifecycle.apply(session, order=order, actor=lifecycle.Actor.of(admin), to=DELIVERED, note=note)
    return await get_order(session=session, order=order)
