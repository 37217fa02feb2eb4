"""What a body-less checkout sends to PostgreSQL: each of the saga's two transactions in as few statements
as its locks allow (products/orders/checkout.py). The background workers' statements are not counted."""

import asyncio
from typing import Any

from sqlalchemy import event

from tests.products.orders.support import Shop

STEP_1 = [
    "SELECT products.carts",  # the cart, locked
    "SELECT products.cart_items",  # its lines with their products
    "SELECT products.orders",  # the cart's pending order (none)
    "SELECT products.shipping_methods",  # the default shipping and payment methods
    "WITH new_id",  # the order, its items (and its key)
]
STEP_3 = [
    "SELECT products.orders",  # the order, locked
    "WITH bought_items",  # the cart completed, its items deleted
    "INSERT products.stock_levels",  # the stock Inventory answered, for the buyer's next read
    "WITH history",  # placed, and its history row
    "INSERT products.outbox",  # orders.order.placed
]


def _shape(statement: str) -> str:
    """The statement's first word and the first table it names."""
    words = statement.split()
    verb = words[0].upper()
    table = next((word.strip("(,") for word in words if word.startswith("products.")), "")
    return f"{verb} {table.split('.')[0]}.{table.split('.')[1]}" if verb != "WITH" else f"WITH {words[1]}"


async def checkout_statements(shop: Shop, headers: dict[str, str]) -> list[str]:
    sent: list[str] = []
    task = asyncio.current_task()

    def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if asyncio.current_task() is task:  # this request's, not the outbox relay's or a consumer's
            sent.append(_shape(statement))

    engine = shop.app.state.engine.sync_engine
    event.listen(engine, "after_cursor_execute", record)
    try:
        response = await shop.client.post("/api/cart/checkout", headers=headers)
    finally:
        event.remove(engine, "after_cursor_execute", record)
    assert response.status_code == 201, response.text
    return sent


async def test_a_body_less_checkout_is_ten_statements(shop: Shop) -> None:
    product_id = await shop.create_product(price="10.00", stock=10)
    user = shop.user()
    await shop.add(user, product_id, 2)
    assert await checkout_statements(shop, user) == STEP_1 + STEP_3


async def test_with_an_idempotency_key_it_is_two_more(shop: Shop) -> None:
    product_id = await shop.create_product(price="10.00", stock=10)
    user = shop.user()
    await shop.add(user, product_id, 1)
    key_lookup = "WITH expired"  # an expired key deleted, the live one locked: none yet
    expected = [*STEP_1[:2], key_lookup, *STEP_1[2:], *STEP_3, "UPDATE products.idempotency_keys"]
    assert await checkout_statements(shop, {**user, "Idempotency-Key": "statements-1"}) == expected
