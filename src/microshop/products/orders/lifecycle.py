"""The order's state machine: the one table of allowed moves, and the one function that makes them.

    pending ──> placed ──> shipped ──> delivered
       │          │
       │          ├──> delivered   (pickup orders: collected in store; delivery orders are shipped first)
       │          └──> cancelled   (stock released at Inventory; a paid payment becomes refunded)
       ├──> rejected               (Inventory was short)
       └──> cancelled              (checkout abandoned)

    payment: unpaid ──> paid ──> refunded   (paid once placed; refunded only by a cancel)

`lock()` takes the order's row lock; `apply()` checks a move against the table (an illegal one is
409 `invalid_transition`, listing the allowed ones), changes the order, writes its `order_events`
history row and records its event in the outbox, all in the caller's transaction, on the locked
order, so two moves of one order never interleave: docs/architecture.md#the-order-lifecycle.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.errors import Conflict, NotFound
from microshop.common.security import Principal
from microshop.products.orders import events, repository
from microshop.products.orders.models import (
    ACTOR_ADMIN,
    ACTOR_CUSTOMER,
    ACTOR_SYSTEM,
    CANCELLED,
    DELIVERED,
    PAID,
    PENDING,
    PLACED,
    REFUNDED,
    REJECTED,
    SHIPPED,
    UNPAID,
    Order,
    OrderItem,
)
from microshop.products.payments.provider import PROVIDERS, Charge

log = structlog.get_logger(__name__)

STATUS_MOVES: dict[str, frozenset[str]] = {
    PENDING: frozenset({PLACED, REJECTED, CANCELLED}),
    PLACED: frozenset({SHIPPED, DELIVERED, CANCELLED}),
    SHIPPED: frozenset({DELIVERED}),
    DELIVERED: frozenset(),
    REJECTED: frozenset(),
    CANCELLED: frozenset(),
}
# Moves that depend on the shipping kind: a pickup order is collected (placed → delivered), never shipped.
PICKUP_ONLY = frozenset({(PLACED, DELIVERED)})
DELIVERY_ONLY = frozenset({(PLACED, SHIPPED)})
# Refunded is reached only through a cancel (below), never asked for on its own.
PAYMENT_MOVES: dict[str, frozenset[str]] = {UNPAID: frozenset({PAID}), PAID: frozenset(), REFUNDED: frozenset()}
PAYABLE = frozenset({PLACED, SHIPPED, DELIVERED})  # an order is paid once placed (cash on delivery: after delivery)

EVENT_TYPES = {
    PLACED: "orders.order.placed",
    SHIPPED: "orders.order.shipped",
    DELIVERED: "orders.order.delivered",
    CANCELLED: "orders.order.cancelled",
    REJECTED: "orders.order.rejected",
    PAID: "orders.order.paid",
}


class InvalidTransition(Conflict):
    code = "invalid_transition"


class OrderNotFound(NotFound):
    code = "order_not_found"


@dataclass(frozen=True)
class Actor:
    """Who makes a move: the customer, an admin (with their user id), or the shop itself."""

    kind: str
    user_id: int | None = None

    @classmethod
    def of(cls, principal: Principal) -> "Actor":
        return cls(ACTOR_ADMIN if principal.is_admin else ACTOR_CUSTOMER, principal.user_id)


SYSTEM = Actor(ACTOR_SYSTEM)


def allowed_statuses(order: Order) -> list[str]:
    barred = DELIVERY_ONLY if order.shipping_pickup else PICKUP_ONLY
    return sorted(to for to in STATUS_MOVES[order.status] if (order.status, to) not in barred)


def allowed_payments(order: Order) -> list[str]:
    return sorted(PAYMENT_MOVES[order.payment_status]) if order.status in PAYABLE else []


def check_status(order: Order, to: str) -> None:
    """Raise 409 `invalid_transition` unless the table allows `order.status` → `to`."""
    if to not in allowed_statuses(order):
        raise InvalidTransition(
            f"A {order.status} order cannot become {to}",
            details={"status": order.status, "to": to, "allowed": allowed_statuses(order)},
        )


def check_payment(order: Order, to: str) -> None:
    if to not in allowed_payments(order):
        raise InvalidTransition(
            f"The payment of a {order.status}, {order.payment_status} order cannot become {to}",
            details={"payment_status": order.payment_status, "to": to, "allowed": allowed_payments(order)},
        )


async def lock(session: AsyncSession, *, order_id: int) -> Order:
    """The order, locked (`SELECT ... FOR UPDATE`) until the transaction ends; 404 if there is none."""
    order = await repository.get_order(session, order_id=order_id, for_update=True)
    if order is None:
        raise OrderNotFound(f"Order {order_id} not found")
    return order


async def apply(
    session: AsyncSession,
    *,
    order: Order,
    actor: Actor,
    to: str | None = None,
    payment: str | None = None,
    note: str | None = None,
    items: list[OrderItem] | None = None,
    before: Callable[[], Awaitable[object]] | None = None,
    carrier: str | None = None,
    tracking_number: str | None = None,
) -> Order:
    """Move a locked order to status `to` or payment status `payment`: checked, recorded, announced.

    `before` runs once the move is known to be legal and before anything is written (a cancel
    releases the stock there); if it raises, nothing changes.
    """
    assert (to is None) != (payment is None), "one move at a time"
    if to is not None:
        check_status(order, to)
    else:
        assert payment is not None
        check_payment(order, payment)
    if before is not None:
        await before()
    now = datetime.now(UTC)
    changes: dict[str, Any] = {}
    history: list[dict[str, Any]] = []
    if to is not None:
        history.append(_history(order, kind="status", to=to, actor=actor, note=note))
        changes["status"] = to
        if to == PLACED:
            changes["placed_at"] = now
        if to == SHIPPED:
            changes["carrier"], changes["tracking_number"] = carrier, tracking_number
        if to == CANCELLED and order.payment_status == PAID:
            refunded = await _refund(order)
            history.append(_history(order, kind="payment", to=refunded, actor=actor, note=note))
            changes["payment_status"] = refunded
    else:
        assert payment is not None
        history.append(_history(order, kind="payment", to=payment, actor=actor, note=note))
        changes["payment_status"] = payment
    await repository.move(session, order=order, changes=changes, history=history)
    lines = items if items is not None else (await repository.items_of(session, [order.id]))[order.id]
    data = events.order_data(order, lines, note=note, actor=actor.kind, occurred_at=now)
    await events.order_changed(session, type=EVENT_TYPES[to or payment or ""], data=data)
    log.info("order_transition", order_id=order.id, status=order.status, payment_status=order.payment_status)
    return order


async def _refund(order: Order) -> str:
    """The payment status a cancel leaves a paid order in (the provider's refund, where there is one)."""
    provider = PROVIDERS.get(order.payment_method or "")
    charge = Charge(order_id=order.id, amount=order.total, currency=order.currency)
    return await provider.refund(charge, payment_status=order.payment_status) if provider is not None else REFUNDED


def _history(order: Order, *, kind: str, to: str, actor: Actor, note: str | None) -> dict[str, Any]:
    """An `order_events` row: the move from the order's current state (status or payment) to `to`."""
    return {
        "order_id": order.id,
        "kind": kind,
        "from_state": order.status if kind == "status" else order.payment_status,
        "to_state": to,
        "actor": actor.kind,
        "actor_id": actor.user_id,
        "note": note,
    }
