"""POST /api/cart/checkout in process: the saga against a real Inventory process."""

import asyncio

import httpx

from tests.products.orders.support import Shop
from tests.support.tokens import TokenFactory, bearer


async def _checkout(shop: Shop, user: dict[str, str], key: str | None = None) -> httpx.Response:
    headers = {**user, **({"Idempotency-Key": key} if key else {})}
    return await shop.client.post("/api/cart/checkout", headers=headers)


class TestCheckoutSuccess:
    async def test_completes_the_order_decrements_once_and_empties_the_cart(self, shop: Shop) -> None:
        product_id = await shop.create_product(price="1500.00", stock=10)
        user = shop.user()
        await shop.add(user, product_id, 3)
        response = await _checkout(shop, user)
        assert response.status_code == 201
        body = response.json()
        assert body == {
            "message": "Compra exitosa",
            "order_id": body["order_id"],
            "total": "4500.00",
            "currency": "EUR",
        }
        assert await shop.stock(product_id) == 7
        movements = await shop.movements(f"order-{body['order_id']}")
        assert [tuple(m) for m in movements] == [(product_id, -3, "reservation")]
        actors = await shop.fetch(
            "SELECT actor FROM inventory.movements WHERE reference = $1", f"order-{body['order_id']}"
        )
        buyer_id = (await shop.order_row(body["order_id"]))["user_id"]
        assert [row["actor"].split()[0] for row in actors] == [f"user:{buyer_id}"], "the ledger names the buyer"
        assert (await shop.client.get("/api/cart", headers=user)).json() == {
            "id": None,
            "items": [],
            "total": "0.00",
            "currency": "EUR",
        }
        order = (await shop.client.get(f"/api/orders/{body['order_id']}", headers=user)).json()
        assert order["status"] == "placed"
        assert order["items"] == [
            {
                "product_id": product_id,
                "name": "Laptop",
                "unit_price": "1500.00",
                "quantity": 3,
                "line_total": "4500.00",
            }
        ]

    async def test_prices_are_reread_at_checkout_and_snapshotted(self, shop: Shop) -> None:
        product_id = await shop.create_product(price="100.00")
        user = shop.user()
        await shop.add(user, product_id, 2)
        await shop.set_price(product_id, "120.00")
        body = (await _checkout(shop, user)).json()
        assert body["total"] == "240.00"
        await shop.set_price(product_id, "1.00")
        order = (await shop.client.get(f"/api/orders/{body['order_id']}", headers=user)).json()
        assert (order["total"], order["items"][0]["unit_price"]) == ("240.00", "120.00")

    async def test_the_next_add_starts_a_new_cart(self, shop: Shop) -> None:
        product_id = await shop.create_product()
        user = shop.user()
        first_cart = (await shop.add(user, product_id)).json()["id"]
        assert (await _checkout(shop, user)).status_code == 201
        assert (await shop.add(user, product_id)).json()["id"] != first_cart


class TestCheckoutRefused:
    async def test_short_stock_is_409_with_the_short_items_and_leaves_cart_and_stock(self, shop: Shop) -> None:
        plenty, scarce = await shop.create_product(stock=10), await shop.create_product(stock=2)
        user = shop.user()
        await shop.add(user, plenty, 1)
        await shop.add(user, scarce, 3)
        response = await _checkout(shop, user)
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "insufficient_stock"
        assert error["details"]["short"] == [{"product_id": scarce, "requested": 3, "available": 2}]
        assert (await shop.stock(plenty), await shop.stock(scarce)) == (10, 2)
        cart = (await shop.client.get("/api/cart", headers=user)).json()
        assert [(i["product_id"], i["quantity"]) for i in cart["items"]] == [(plenty, 1), (scarce, 3)]
        assert (await shop.order_row(error["details"]["order_id"]))["status"] == "rejected"

    async def test_after_a_rejection_fixing_the_cart_lets_a_new_order_through(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=2)
        user = shop.user()
        item_id = (await shop.add(user, product_id, 3)).json()["items"][0]["id"]
        assert (await _checkout(shop, user)).status_code == 409
        await shop.client.patch(f"/api/cart/items/{item_id}", json={"quantity": 2}, headers=user)
        assert (await _checkout(shop, user)).status_code == 201
        assert await shop.stock(product_id) == 0

    async def test_empty_cart_is_400(self, shop: Shop) -> None:
        user = shop.user()
        response = await _checkout(shop, user)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "cart_empty"
        await shop.add(user, await shop.create_product())
        await shop.client.delete("/api/cart", headers=user)
        assert (await _checkout(shop, user)).status_code == 400

    async def test_an_archived_product_in_the_cart_is_409(self, shop: Shop) -> None:
        product_id = await shop.create_product()
        user = shop.user()
        await shop.add(user, product_id)
        await shop.archive(product_id)
        response = await _checkout(shop, user)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "product_unavailable"
        assert response.json()["error"]["details"] == {"product_ids": [product_id]}
        assert await shop.stock(product_id) == 10

    async def test_bad_idempotency_keys_are_422(self, shop: Shop) -> None:
        user = shop.user()
        for key in ("x" * 101, ""):
            response = await shop.client.post("/api/cart/checkout", headers={**user, "Idempotency-Key": key})
            assert response.status_code == 422, key

    async def test_callers_that_are_not_users_are_refused(self, shop: Shop, tokens: TokenFactory) -> None:
        assert (await shop.client.post("/api/cart/checkout")).status_code == 401
        assert (await shop.client.post("/api/cart/checkout", headers=bearer(tokens.service()))).status_code == 403


class TestIdempotency:
    async def test_a_placed_order_replayed_with_its_key_gives_the_same_201(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=5)
        user = shop.user()
        await shop.add(user, product_id, 2)
        first = await _checkout(shop, user, "key-1")
        again = await _checkout(shop, user, "key-1")
        assert (first.status_code, again.status_code) == (201, 201)
        assert first.json() == again.json()
        assert await shop.stock(product_id) == 3

    async def test_a_rejection_replayed_with_its_key_gives_the_same_409(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=1)
        user = shop.user()
        await shop.add(user, product_id, 2)
        first = await _checkout(shop, user, "key-2")
        await shop.set_stock(product_id, 5)
        again = await _checkout(shop, user, "key-2")
        assert (first.status_code, again.status_code) == (409, 409)
        assert first.json() == again.json()

    async def test_keys_belong_to_one_user(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=5)
        alice, bob = shop.user(), shop.user()
        await shop.add(alice, product_id)
        await shop.add(bob, product_id)
        first, second = await _checkout(shop, alice, "shared"), await _checkout(shop, bob, "shared")
        assert (first.status_code, second.status_code) == (201, 201)
        assert first.json()["order_id"] != second.json()["order_id"]

    async def test_the_same_key_ten_times_at_once_gives_one_order_and_one_answer(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=50)
        user = shop.user(user_id=777_001)
        await shop.add(user, product_id, 4)
        responses = await asyncio.gather(*(_checkout(shop, user, "same-key") for _ in range(10)))
        assert {r.status_code for r in responses} == {201}
        assert len({r.text for r in responses}) == 1
        orders = await shop.fetch("SELECT id FROM products.orders WHERE user_id = $1", 777_001)
        assert len(orders) == 1
        assert await shop.stock(product_id) == 46
        assert len(await shop.movements(f"order-{orders[0]['id']}")) == 1

    async def test_checkouts_without_a_key_at_once_still_make_one_order(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=50)
        user = shop.user(user_id=777_002)
        await shop.add(user, product_id, 4)
        responses = await asyncio.gather(*(_checkout(shop, user) for _ in range(5)))
        created = [r for r in responses if r.status_code == 201]
        assert {r.json()["order_id"] for r in created} == {created[0].json()["order_id"]}
        assert {r.status_code for r in responses} <= {201, 400}
        assert await shop.stock(product_id) == 46


class TestInventoryDown:
    async def test_503_keeps_the_order_pending_and_a_retry_completes_it_once(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=5)
        user = shop.user()
        await shop.add(user, product_id, 2)
        async with shop.inventory_down() as down:
            response = await down.post("/api/cart/checkout", headers={**user, "Idempotency-Key": "k-503"})
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "inventory_unavailable"
        orders = await shop.fetch("SELECT id, status FROM products.orders WHERE idempotency_key = 'k-503'")
        assert [o["status"] for o in orders] == ["pending"]
        assert await shop.stock(product_id) == 5
        edit = await shop.client.post("/api/cart", json={"product_id": product_id, "quantity": 1}, headers=user)
        assert edit.status_code == 409
        assert edit.json()["error"]["code"] == "checkout_pending"
        retry = await _checkout(shop, user)  # no key: the cart's pending order is resumed
        assert retry.status_code == 201
        assert retry.json()["order_id"] == orders[0]["id"]
        assert await shop.stock(product_id) == 3
        assert len(await shop.movements(f"order-{orders[0]['id']}")) == 1
        replay = await _checkout(shop, user, "k-503")
        assert replay.json() == retry.json()


class TestCheckoutLimits:
    async def test_an_order_beyond_the_largest_total_is_409_and_changes_nothing(self, shop: Shop) -> None:
        product_id = await shop.create_product(price="2000000.00", stock=100)
        user = shop.user()
        await shop.add(user, product_id, 60)  # 120,000,000.00: more than numeric(10,2) holds
        response = await _checkout(shop, user)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "order_too_large"
        assert await shop.stock(product_id) == 100
        assert len((await shop.client.get("/api/cart", headers=user)).json()["items"]) == 1
        assert (await shop.client.get("/api/orders", headers=user)).json()["total"] == 0
