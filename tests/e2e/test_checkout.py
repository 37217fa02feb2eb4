"""Checkout over real processes: auth, inventory (2 workers) and products (2 workers) on one database."""

import asyncio

import httpx
import pytest

from tests.e2e.support import create_product, fetch, new_user, stock_and_ledger
from tests.support.system import System
from tests.support.tokens import TokenFactory

pytestmark = pytest.mark.e2e


async def test_50_buyers_of_the_last_20_units_sell_exactly_20(system: System, tokens: TokenFactory) -> None:
    product_id = await create_product(system, tokens, stock=20)
    users = [new_user(tokens) for _ in range(50)]
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=system.products.url, timeout=60, limits=limits) as client:
        added = await asyncio.gather(
            *(client.post("/api/cart", json={"product_id": product_id, "quantity": 1}, headers=u) for u in users)
        )
        assert {r.status_code for r in added} == {200}
        responses = await asyncio.gather(*(client.post("/api/cart/checkout", headers=u) for u in users))
    statuses = [r.status_code for r in responses]
    assert (statuses.count(201), statuses.count(409)) == (20, 30), statuses
    assert all(r.json()["error"]["code"] == "insufficient_stock" for r in responses if r.status_code == 409)
    assert {r.json()["message"] for r in responses if r.status_code == 201} == {"Compra exitosa"}
    assert await stock_and_ledger(system, product_id) == (0, 0)
    order_ids = [r.json()["order_id"] for r in responses if r.status_code == 201]
    rows = await fetch(
        system,
        "SELECT reference, sum(delta) AS delta FROM inventory.movements "
        "WHERE product_id = $1 AND reference IS NOT NULL GROUP BY reference",
        product_id,
    )
    assert {row["reference"]: row["delta"] for row in rows} == {f"order-{order_id}": -1 for order_id in order_ids}
    statuses_in_db = await fetch(
        system,
        "SELECT o.status, count(*) AS n FROM products.orders o JOIN products.order_items i ON i.order_id = o.id "
        "WHERE i.product_id = $1 GROUP BY o.status",
        product_id,
    )
    assert {row["status"]: row["n"] for row in statuses_in_db} == {"placed": 20, "rejected": 30}


async def test_the_same_idempotency_key_10_times_at_once_makes_one_order(system: System, tokens: TokenFactory) -> None:
    product_id = await create_product(system, tokens, stock=100)
    user = system.register_and_login("buyer-idem@example.com")
    headers = {"Authorization": f"Bearer {user}"}
    async with httpx.AsyncClient(base_url=system.products.url, timeout=60, headers=headers) as client:
        assert (await client.post("/api/cart", json={"product_id": product_id, "quantity": 3})).status_code == 200
        responses = await asyncio.gather(
            *(client.post("/api/cart/checkout", headers={"Idempotency-Key": "one-purchase"}) for _ in range(10))
        )
        assert {r.status_code for r in responses} == {201}
        assert len({r.text for r in responses}) == 1
        orders = (await client.get("/api/orders")).json()
    assert orders["total"] == 1
    assert orders["items"][0]["id"] == responses[0].json()["order_id"]
    assert await stock_and_ledger(system, product_id) == (97, 97)
