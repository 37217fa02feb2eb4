"""GET /api/orders, GET /api/orders/{id} and POST /api/orders/{id}/cancel (the customer's, or an admin's)."""

from tests.products.orders.support import Shop
from tests.support.tokens import TokenFactory, bearer


class TestListOrders:
    async def test_own_orders_newest_first_paginated(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=50)
        user = shop.user()
        placed = [await shop.buy(user, product_id, n) for n in (1, 2, 3)]
        await shop.buy(shop.user(), product_id)  # someone else's
        page = (await shop.client.get("/api/orders", headers=user)).json()
        assert [order["id"] for order in page["items"]] == placed[::-1]
        assert (page["total"], page["page"], page["page_size"]) == (3, 1, 20)
        second = (await shop.client.get("/api/orders?page=2&page_size=2", headers=user)).json()
        assert [order["id"] for order in second["items"]] == [placed[0]]
        assert second["items"][0]["items"][0]["quantity"] == 1

    async def test_admin_with_all_sees_every_users_orders(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=50)
        mine, theirs = await shop.buy(shop.user(), product_id), await shop.buy(shop.user(), product_id)
        admin = shop.admin()
        everyone = (await shop.client.get("/api/orders?all=true&page_size=100", headers=admin)).json()
        assert {mine, theirs} <= {order["id"] for order in everyone["items"]}
        own = (await shop.client.get("/api/orders", headers=admin)).json()
        assert own["items"] == []

    async def test_all_is_refused_to_users(self, shop: Shop) -> None:
        response = await shop.client.get("/api/orders?all=true", headers=shop.user())
        assert response.status_code == 403

    async def test_bad_paging_is_422(self, shop: Shop) -> None:
        for query in ("page=0", "page_size=101", "page=x", "all=maybe"):
            assert (await shop.client.get(f"/api/orders?{query}", headers=shop.user())).status_code == 422, query


class TestGetOrder:
    async def test_own_order_with_item_snapshots(self, shop: Shop) -> None:
        product_id = await shop.create_product(name="Mouse", price="25.00")
        user = shop.user()
        order_id = await shop.buy(user, product_id, 2)
        order = (await shop.client.get(f"/api/orders/{order_id}", headers=user)).json()
        assert order["id"] == order_id
        assert (order["status"], order["total"]) == ("placed", "50.00")
        assert order["items"] == [
            {"product_id": product_id, "name": "Mouse", "unit_price": "25.00", "quantity": 2, "line_total": "50.00"}
        ]
        assert order["created_at"]

    async def test_admin_sees_any_order(self, shop: Shop) -> None:
        order_id = await shop.buy(shop.user(), await shop.create_product())
        assert (await shop.client.get(f"/api/orders/{order_id}", headers=shop.admin())).status_code == 200

    async def test_unknown_or_bad_ids(self, shop: Shop) -> None:
        assert (await shop.client.get("/api/orders/99999999", headers=shop.user())).status_code == 404
        assert (await shop.client.get(f"/api/orders/{2**63}", headers=shop.user())).status_code == 422
        assert (await shop.client.get("/api/orders/abc", headers=shop.user())).status_code == 422


class TestCancelOrder:
    async def test_admin_cancels_a_placed_order_and_units_go_back(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=10)
        order_id = await shop.buy(shop.user(), product_id, 4)
        assert await shop.stock(product_id) == 6
        response = await shop.client.post(f"/api/orders/{order_id}/cancel", headers=shop.admin())
        assert response.status_code == 200
        assert response.json()["status"] == "cancelled"
        assert await shop.stock(product_id) == 10
        movements = await shop.movements(f"order-{order_id}")
        assert [(m["delta"], m["reason"]) for m in movements] == [(-4, "reservation"), (4, "cancel")]
        again = await shop.client.post(f"/api/orders/{order_id}/cancel", headers=shop.admin())
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "invalid_transition"
        assert await shop.stock(product_id) == 10

    async def test_a_rejected_order_cannot_be_cancelled(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=1)
        order_id = await shop.buy(shop.user(), product_id, 2)
        response = await shop.client.post(f"/api/orders/{order_id}/cancel", headers=shop.admin())
        assert response.status_code == 409

    async def test_a_pending_order_cancelled_can_never_commit_later(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=10)
        user = shop.user()
        await shop.add(user, product_id, 2)
        async with shop.inventory_down() as down:
            assert (await down.post("/api/cart/checkout", headers=user)).status_code == 503
        order_id = (await shop.fetch("SELECT max(id) AS id FROM products.orders"))[0]["id"]
        response = await shop.client.post(f"/api/orders/{order_id}/cancel", headers=shop.admin())
        assert response.json()["status"] == "cancelled"
        # The cart is free again; checking it out makes a new order, the cancelled one stays cancelled.
        retry = await shop.client.post("/api/cart/checkout", headers=user)
        assert retry.status_code == 201
        assert retry.json()["order_id"] != order_id
        assert await shop.stock(product_id) == 8
        assert len(await shop.movements(f"order-{order_id}")) == 0

    async def test_a_customer_cancels_their_own_placed_unpaid_order(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=10)
        user = shop.user()
        order_id = await shop.buy(user, product_id, 3)
        response = await shop.client.post(
            f"/api/orders/{order_id}/cancel", json={"note": "changed my mind"}, headers=user
        )
        assert response.status_code == 200, response.text
        assert (response.json()["status"], response.json()["history"][-1]["actor"]) == ("cancelled", "customer")
        assert await shop.stock(product_id) == 10

    async def test_a_paid_order_is_cancelled_by_the_shop_only(self, shop: Shop, tokens: TokenFactory) -> None:
        user = shop.user()
        order_id = await shop.buy(user, await shop.create_product())
        assert (
            await shop.client.post(f"/api/admin/orders/{order_id}/mark-paid", headers=shop.admin())
        ).status_code == 200
        assert (await shop.client.post(f"/api/orders/{order_id}/cancel", headers=user)).status_code == 403
        service = bearer(tokens.service())
        assert (await shop.client.post(f"/api/orders/{order_id}/cancel", headers=service)).status_code == 403
        assert (await shop.order_row(order_id))["status"] == "placed"
        assert (await shop.client.post("/api/orders/99999999/cancel", headers=shop.admin())).status_code == 404
