"""The events Products publishes about orders, through its outbox (`products.outbox`, products/events.py).

Each carries the whole order as its customer sees it, so a consumer (Auth's order emails) never
calls back: docs/events.md#ordersorder-data_version-1.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.events.outbox import record
from microshop.products.events import SOURCE, outbox
from microshop.products.orders.models import Order, OrderItem


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def order_data(
    order: Order, items: list[OrderItem], *, note: str | None, actor: str, occurred_at: datetime
) -> dict[str, Any]:
    """The order as its customer sees it, in the events' shape (data_version 1)."""
    return {
        "order_id": order.id,
        "user_id": order.user_id,
        "status": order.status,
        "payment_status": order.payment_status,
        "currency": order.currency,
        "lines": [
            {
                "product_id": item.product_id,
                "name": item.name,
                "quantity": item.quantity,
                "unit_price": money(item.unit_price),
                "line_total": money(item.line_total),
            }
            for item in items
        ],
        "subtotal": money(order.subtotal),
        "shipping_total": money(order.shipping_total),
        "total": money(order.total),
        "shipping": {
            "method_id": order.shipping_method_id,
            "name": order.shipping_name,
            "price": money(order.shipping_total),
            "pickup": order.shipping_pickup,
        },
        "address": order.address,
        "payment": {
            "method": order.payment_method,
            "name": order.payment_name,
            "instructions": order.payment_instructions,
        },
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "note": note,
        "actor": actor,
        "placed_at": order.placed_at.isoformat() if order.placed_at else None,
        "occurred_at": occurred_at.isoformat(),
    }


async def order_changed(session: AsyncSession, *, type: str, data: dict[str, Any]) -> None:
    """Record `orders.order.<verb>` in the transaction that made the change; the relay publishes it."""
    await record(session, outbox, source=SOURCE, type=type, subject=str(data["order_id"]), data=data)
