"""An order's life over real processes: two cancels of a paid order sent at once release the stock once,
and every move reaches the real broker as an `orders.order.*` event."""

import asyncio
import json
import time
from typing import Any

import httpx
import nats
import pytest

from tests.e2e.support import create_product, decrements, new_user, stock_and_ledger
from tests.support.apps import events_namespace_for
from tests.support.system import System
from tests.support.tokens import TokenFactory, bearer

pytestmark = [pytest.mark.e2e, pytest.mark.broker]


async def _order_events(system: System, order_id: int, *, count: int, timeout: float = 20) -> list[dict[str, Any]]:
    """The envelopes of one order in this shop's ORDERS stream, once `count` of them are there."""
    stream = f"{events_namespace_for(system.database_dsn).upper()}_ORDERS"
    client = await nats.connect(system.nats_url.split(","), connect_timeout=5, allow_reconnect=False)
    try:
        js = client.jetstream()
        deadline = time.monotonic() + timeout
        while True:
            info = await js.stream_info(stream)
            envelopes = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                envelope = json.loads((await js.get_msg(stream, seq)).data or b"{}")
                if envelope["subject"] == str(order_id):
                    envelopes.append(envelope)
            if len(envelopes) >= count or time.monotonic() > deadline:
                return envelopes
            await asyncio.sleep(0.2)
    finally:
        await client.close()


async def test_two_cancels_of_a_paid_order_at_once_refund_it_and_release_the_stock_once(
    system: System, tokens: TokenFactory
) -> None:
    product_id = await create_product(system, tokens, stock=10, price="12.50")
    user, admin = new_user(tokens), bearer(tokens.admin(990_001))
    async with httpx.AsyncClient(base_url=system.products.url, timeout=30) as client:
        assert (await client.post("/api/cart", json={"product_id": product_id, "quantity": 3}, headers=user)).is_success
        checkout = await client.post("/api/cart/checkout", headers=user)
        assert checkout.status_code == 201, checkout.text
        assert checkout.json()["message"] == "Compra exitosa"
        order_id = checkout.json()["order_id"]
        paid = await client.post(f"/api/admin/orders/{order_id}/mark-paid", json={"note": "cash"}, headers=admin)
        assert paid.status_code == 200, paid.text
    # Two connections, two requests in flight at once: the order's row lock decides.
    async with (
        httpx.AsyncClient(base_url=system.products.url, timeout=30) as one,
        httpx.AsyncClient(base_url=system.products.url, timeout=30) as two,
    ):
        first, second = await asyncio.gather(
            one.post(f"/api/admin/orders/{order_id}/cancel", headers=admin),
            two.post(f"/api/admin/orders/{order_id}/cancel", headers=admin),
        )
    assert sorted([first.status_code, second.status_code]) == [200, 409]
    winner = first if first.status_code == 200 else second
    assert (winner.json()["status"], winner.json()["payment_status"]) == ("cancelled", "refunded")
    assert await decrements(system, order_id) == [-3, 3]
    assert await stock_and_ledger(system, product_id) == (10, 10)

    envelopes = await _order_events(system, order_id, count=3)
    assert [e["type"] for e in envelopes] == ["orders.order.placed", "orders.order.paid", "orders.order.cancelled"]
    assert {(e["source"], e["data_version"]) for e in envelopes} == {("products", 1)}
    cancelled = envelopes[-1]["data"]
    assert (cancelled["status"], cancelled["payment_status"], cancelled["actor"], cancelled["total"]) == (
        "cancelled",
        "refunded",
        "admin",
        "37.50",
    )
