"""The admin's fulfilment: cancelling a paid order (also twice at once), the events each move records, the list."""

import asyncio
import json
from typing import Any

from tests.products.orders.support import ADDRESS, SHIP, Shop


async def _paid_order(shop: Shop, product_id: int, quantity: int) -> int:
    order_id = await shop.buy(shop.user(), product_id, quantity)
    assert (await shop.admin_action(order_id, "mark-paid", {"note": "cash counted"})).status_code == 200
    return order_id


class TestCancelAPaidOrder:
    async def test_it_is_refunded_and_the_stock_released(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=10)
        order_id = await _paid_order(shop, product_id, 3)
        response = await shop.admin_action(order_id, "cancel", {"note": "out of our hands"})
        assert response.status_code == 200, response.text
        order = response.json()
        assert (order["status"], order["payment_status"], order["payment"]["status"]) == (
            "cancelled",
            "refunded",
            "refunded",
        )
        assert [(s["kind"], s["from_state"], s["to_state"]) for s in order["history"]] == [
            ("status", "pending", "placed"),
            ("payment", "unpaid", "paid"),
            ("status", "placed", "cancelled"),
            ("payment", "paid", "refunded"),
        ]
        assert await shop.stock(product_id) == 10
        assert await shop.outbox_types(order_id) == [
            "orders.order.placed",
            "orders.order.paid",
            "orders.order.cancelled",
        ]

    async def test_two_cancels_at_once_release_the_stock_once(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=10)
        order_id = await _paid_order(shop, product_id, 4)
        first, second = await asyncio.gather(
            shop.admin_action(order_id, "cancel"), shop.admin_action(order_id, "cancel")
        )
        assert sorted([first.status_code, second.status_code]) == [200, 409]
        loser = first if first.status_code == 409 else second
        assert loser.json()["error"]["code"] == "invalid_transition"
        movements = await shop.movements(f"order-{order_id}")
        assert [(m["delta"], m["reason"]) for m in movements] == [(-4, "reservation"), (4, "cancel")]
        assert await shop.stock(product_id) == 10
        row = await shop.order_row(order_id)
        assert (row["status"], row["payment_status"]) == ("cancelled", "refunded")
        assert (await shop.outbox_types(order_id)).count("orders.order.cancelled") == 1


class TestEvents:
    async def test_each_move_records_the_whole_order_in_the_outbox(self, shop: Shop) -> None:
        courier = await shop.shipping_method(name="Courier events", price="4.90")
        instructions = "IBAN ES91 2100 0418 4502 0005 1332"
        setting = {"instructions": instructions}
        assert (
            await shop.client.patch("/api/payment-methods/bank_transfer", json=setting, headers=shop.admin())
        ).is_success
        user = shop.user()
        product_id = await shop.create_product(name="Lamp", price="12.50")
        choices = {"address": ADDRESS, "shipping_method_id": courier["id"], "payment_method": "bank_transfer"}
        order_id = await shop.buy(user, product_id, 2, choices=choices)
        for action, body in (("mark-paid", None), ("ship", SHIP), ("deliver", {"note": "left with the porter"})):
            assert (await shop.admin_action(order_id, action, body)).status_code == 200
        rows = await shop.fetch(
            "SELECT type, subject, payload FROM products.outbox WHERE subject = $1 ORDER BY seq", str(order_id)
        )
        envelopes = [json.loads(row["payload"]) for row in rows]
        assert [e["type"] for e in envelopes] == [
            "orders.order.placed",
            "orders.order.paid",
            "orders.order.shipped",
            "orders.order.delivered",
        ]
        assert {(e["source"], e["subject"], e["data_version"]) for e in envelopes} == {("products", str(order_id), 1)}
        placed, delivered = envelopes[0]["data"], envelopes[-1]["data"]
        assert placed == {
            "order_id": order_id,
            "user_id": placed["user_id"],
            "status": "placed",
            "payment_status": "unpaid",
            "currency": "EUR",
            "lines": [
                {"product_id": product_id, "name": "Lamp", "quantity": 2, "unit_price": "12.50", "line_total": "25.00"}
            ],
            "subtotal": "25.00",
            "shipping_total": "4.90",
            "total": "29.90",
            "shipping": {"method_id": courier["id"], "name": "Courier events", "price": "4.90", "pickup": False},
            "address": ADDRESS | {"line2": None, "region": None},
            "payment": {"method": "bank_transfer", "name": "Bank transfer", "instructions": instructions},
            "carrier": None,
            "tracking_number": None,
            "note": None,
            "actor": "customer",
            "placed_at": placed["placed_at"],
            "occurred_at": placed["occurred_at"],
        }
        assert placed["placed_at"] is not None
        assert (delivered["status"], delivered["payment_status"], delivered["actor"], delivered["note"]) == (
            "delivered",
            "paid",
            "admin",
            "left with the porter",
        )
        assert (delivered["carrier"], delivered["tracking_number"]) == (SHIP["carrier"], SHIP["tracking_number"])

    async def test_a_shortage_records_a_rejected_event(self, shop: Shop) -> None:
        order_id = await shop.buy(shop.user(), await shop.create_product(stock=None))
        assert await shop.outbox_types(order_id) == ["orders.order.rejected"]


class TestAdminList:
    async def test_filters_by_status_payment_customer_and_dates(self, shop: Shop) -> None:
        user = shop.user()
        product_id = await shop.create_product(stock=20)
        placed = await shop.buy(user, product_id)
        paid = await shop.buy(user, product_id)
        assert (await shop.admin_action(paid, "mark-paid")).status_code == 200
        row = await shop.order_row(placed)
        admin = shop.admin()

        async def ids(**query: Any) -> list[int]:
            response = await shop.client.get("/api/admin/orders", params=query | {"page_size": 100}, headers=admin)
            assert response.status_code == 200, response.text
            return [order["id"] for order in response.json()["items"]]

        mine = {"user_id": row["user_id"]}
        assert await ids(**mine) == [paid, placed]
        assert await ids(**mine, payment_status="paid") == [paid]
        assert await ids(**mine, status="placed", payment_status="unpaid") == [placed]
        later = (await shop.order_row(paid))["created_at"]
        assert await ids(**mine, created_from=row["created_at"].isoformat()) == [paid, placed]
        assert await ids(**mine, created_from=later.isoformat()) == [paid]
        assert await ids(**mine, created_to=later.isoformat()) == [placed]
        assert await ids(**mine, status="shipped") == []
        detail = await shop.client.get(f"/api/admin/orders/{placed}", headers=admin)
        assert detail.json()["history"][0]["to_state"] == "placed"
        assert (await shop.client.get("/api/admin/orders?status=completed", headers=admin)).status_code == 422
