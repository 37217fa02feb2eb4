"""Order history and the admin's cancel."""

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.errors import Conflict, Forbidden, NotFound
from microshop.common.pagination import Page
from microshop.common.security import Principal
from microshop.products.inventory_client import InventoryClient
from microshop.products.orders import repository
from microshop.products.orders.models import CANCELLED, COMPLETED, PENDING, Order
from microshop.products.orders.schemas import OrderItemRead, OrderRead, OrdersQuery


class OrderNotFound(NotFound):
    code = "order_not_found"


class OrderNotCancellable(Conflict):
    code = "order_not_cancellable"


def _read(order: Order, items: list[OrderItemRead]) -> OrderRead:
    return OrderRead(
        id=order.id,
        user_id=order.user_id,
        status=order.status,  # the CHECK constraint keeps it one of the four
        total=order.total,
        created_at=order.created_at,
        items=items,
    )


async def read_orders(session: AsyncSession, *, orders: list[Order]) -> list[OrderRead]:
    """Orders with their item snapshots, loaded in one query."""
    items = await repository.items_of(session, [order.id for order in orders])
    return [_read(order, [OrderItemRead.model_validate(item) for item in items[order.id]]) for order in orders]


async def list_orders(*, session: AsyncSession, caller: Principal, query: OrdersQuery) -> Page[OrderRead]:
    """The caller's orders, newest first; an admin asking for `all` gets everyone's."""
    if query.all and not caller.is_admin:
        raise Forbidden("Only admins may list every user's orders")
    orders, total = await repository.list_orders(session, user_id=None if query.all else caller.user_id, page=query)
    return Page.of(await read_orders(session, orders=orders), total=total, params=query)


async def get_visible_order(*, session: AsyncSession, caller: Principal, order_id: int) -> Order:
    """An order the caller may see: their own, or any for an admin; anyone else's is not found."""
    order = await repository.get_order(session, order_id=order_id)
    if order is None or (order.user_id != caller.user_id and not caller.is_admin):
        raise OrderNotFound(f"Order {order_id} not found")
    return order


async def get_order(*, session: AsyncSession, order: Order) -> OrderRead:
    """One order with its items."""
    return (await read_orders(session, orders=[order]))[0]


async def cancel_order(*, session: AsyncSession, inventory: InventoryClient, order_id: int) -> OrderRead:
    """Cancel a completed (or still pending) order: its units go back to Inventory (`reason=cancel`).

    Releasing a pending order's reference tombstones it at Inventory, so a checkout still in flight
    for it can no longer commit.
    """
    order = await repository.get_order(session, order_id=order_id, for_update=True)
    if order is None:
        raise OrderNotFound(f"Order {order_id} not found")
    if order.status not in (COMPLETED, PENDING):
        raise OrderNotCancellable(f"A {order.status} order cannot be cancelled", details={"status": order.status})
    assert order.reservation_reference is not None
    # The order stays locked across the call, so a concurrent cancel or checkout retry waits for it.
    await inventory.release(order.reservation_reference, reason="cancel")
    order.status = CANCELLED
    await session.flush()
    return await get_order(session=session, order=order)
