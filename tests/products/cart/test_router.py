"""The cart routes, in process, against a real Inventory process."""

import httpx
import pytest

from microshop.products.cart import service as cart_service
from tests.products.orders.support import Shop, dead_url, products_client, products_settings
from tests.support.tokens import TokenFactory, bearer


class TestAddToCart:
    async def test_adds_the_product_and_answers_with_the_cart(self, shop: Shop) -> None:
        product_id = await shop.create_product(name="Monitor", price="199.90", stock=5)
        response = await shop.client.post(
            "/api/cart", json={"product_id": product_id, "quantity": 2}, headers=shop.user()
        )
        assert response.status_code == 200
        cart = response.json()
        assert isinstance(cart["id"], int)
        assert cart["total"] == "399.80"
        assert cart["items"] == [
            {
                "id": cart["items"][0]["id"],
                "product_id": product_id,
                "name": "Monitor",
                "unit_price": "199.90",
                "quantity": 2,
                "line_total": "399.80",
                "stock": 5,
                "available": True,
            }
        ]

    async def test_adding_the_same_product_again_merges_quantities(self, shop: Shop) -> None:
        product_id = await shop.create_product()
        user = shop.user()
        await shop.add(user, product_id, 2)
        cart = (await shop.add(user, product_id, 3)).json()
        assert [(item["product_id"], item["quantity"]) for item in cart["items"]] == [(product_id, 5)]

    async def test_merging_past_99_units_is_409_and_keeps_the_quantity(self, shop: Shop) -> None:
        product_id = await shop.create_product()
        user = shop.user()
        await shop.add(user, product_id, 98)
        response = await shop.client.post("/api/cart", json={"product_id": product_id, "quantity": 2}, headers=user)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "quantity_limit"
        assert (await shop.client.get("/api/cart", headers=user)).json()["items"][0]["quantity"] == 98

    async def test_a_cart_holds_at_most_max_products_different_products(
        self, shop: Shop, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(cart_service, "MAX_PRODUCTS", 2)  # Inventory's cap is 100; 2 keeps the test short
        user = shop.user()
        first, second, third = [await shop.create_product(name=f"Cap {n}") for n in range(3)]
        await shop.add(user, first, 1)
        await shop.add(user, second, 1)
        response = await shop.client.post("/api/cart", json={"product_id": third, "quantity": 1}, headers=user)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "cart_full"
        assert (await shop.add(user, first, 1)).status_code == 200, "more of a product already there is fine"

    async def test_unknown_product_is_404(self, shop: Shop) -> None:
        response = await shop.client.post(
            "/api/cart", json={"product_id": 987654321, "quantity": 1}, headers=shop.user()
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "product_not_found"

    async def test_archived_product_is_404(self, shop: Shop) -> None:
        product_id = await shop.create_product(archived=True)
        response = await shop.client.post(
            "/api/cart", json={"product_id": product_id, "quantity": 1}, headers=shop.user()
        )
        assert response.status_code == 404

    async def test_quantity_outside_1_to_99_or_bad_ids_are_422(self, shop: Shop) -> None:
        product_id = await shop.create_product()
        for body in (
            {"product_id": product_id, "quantity": 0},
            {"product_id": product_id, "quantity": 100},
            {"product_id": product_id, "quantity": "many"},
            {"product_id": 2**63, "quantity": 1},
            {"product_id": 0, "quantity": 1},
            {"quantity": 1},
        ):
            response = await shop.client.post("/api/cart", json=body, headers=shop.user())
            assert response.status_code == 422, body
            assert response.json()["error"]["code"] == "validation_error"

    async def test_no_token_is_401_and_a_service_token_is_403(self, shop: Shop, tokens: TokenFactory) -> None:
        body = {"product_id": 1, "quantity": 1}
        assert (await shop.client.post("/api/cart", json=body)).status_code == 401
        response = await shop.client.post("/api/cart", json=body, headers=bearer(tokens.service()))
        assert response.status_code == 403


class TestGetCart:
    async def test_without_a_cart_is_empty(self, shop: Shop) -> None:
        response = await shop.client.get("/api/cart", headers=shop.user())
        assert response.status_code == 200
        assert response.json() == {"id": None, "items": [], "total": "0.00", "currency": "EUR"}
        assert "X-Stock-Status" not in response.headers

    async def test_shows_current_prices_not_the_price_when_added(self, shop: Shop) -> None:
        product_id = await shop.create_product(price="100.00")
        user = shop.user()
        await shop.add(user, product_id, 3)
        await shop.set_price(product_id, "80.50")
        cart = (await shop.client.get("/api/cart", headers=user)).json()
        assert cart["items"][0]["unit_price"] == "80.50"
        assert cart["items"][0]["line_total"] == "241.50"
        assert cart["total"] == "241.50"

    async def test_items_beyond_stock_are_unavailable(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=2)
        user = shop.user()
        await shop.add(user, product_id, 3)
        item = (await shop.client.get("/api/cart", headers=user)).json()["items"][0]
        assert (item["stock"], item["available"]) == (2, False)

    async def test_product_without_inventory_row_has_stock_0(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=None)
        user = shop.user()
        await shop.add(user, product_id)
        item = (await shop.client.get("/api/cart", headers=user)).json()["items"][0]
        assert (item["stock"], item["available"]) == (0, False)

    async def test_archived_products_stay_visible_as_unavailable(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=50)
        user = shop.user()
        await shop.add(user, product_id)
        await shop.archive(product_id)
        item = (await shop.client.get("/api/cart", headers=user)).json()["items"][0]
        assert (item["product_id"], item["stock"], item["available"]) == (product_id, 50, False)

    async def test_the_stock_of_every_item_comes_from_no_inventory_call(self, shop: Shop) -> None:
        user = shop.user()
        for _ in range(3):
            await shop.add(user, await shop.create_product())
        calls: list[str] = []

        async def count(request: httpx.Request) -> None:
            if request.url.path.startswith("/api/inventory"):
                calls.append(str(request.url))

        shop.app.state.http.event_hooks["request"].append(count)
        try:
            cart = (await shop.client.get("/api/cart", headers=user)).json()
        finally:
            shop.app.state.http.event_hooks["request"].remove(count)
        assert len(cart["items"]) == 3
        assert all(item["stock"] == 10 for item in cart["items"])
        assert len(calls) == 0

    async def test_inventory_down_still_shows_the_stock_products_has_seen(
        self, shop: Shop, tokens: TokenFactory
    ) -> None:
        user = shop.user()
        await shop.add(user, await shop.create_product(stock=10))
        settings = products_settings(shop.database_url, tokens, dead_url(), http_retries=0)
        async with products_client(settings, tokens) as (_, client):
            response = await client.get("/api/cart", headers=user)
        assert response.status_code == 200
        assert "X-Stock-Status" not in response.headers
        item = response.json()["items"][0]
        assert (item["stock"], item["available"]) == (10, True)


class TestUpdateCartItem:
    async def test_sets_the_quantity(self, shop: Shop) -> None:
        user = shop.user()
        item_id = (await shop.add(user, await shop.create_product(price="10.00"), 1)).json()["items"][0]["id"]
        response = await shop.client.patch(f"/api/cart/items/{item_id}", json={"quantity": 7}, headers=user)
        assert response.status_code == 200
        assert response.json()["items"][0]["quantity"] == 7
        assert response.json()["total"] == "70.00"

    async def test_invalid_quantity_is_422(self, shop: Shop) -> None:
        user = shop.user()
        item_id = (await shop.add(user, await shop.create_product())).json()["items"][0]["id"]
        for quantity in (0, 100, -1, None):
            response = await shop.client.patch(f"/api/cart/items/{item_id}", json={"quantity": quantity}, headers=user)
            assert response.status_code == 422

    async def test_unknown_or_out_of_range_item_is_404_or_422(self, shop: Shop) -> None:
        user = shop.user()
        assert (
            await shop.client.patch("/api/cart/items/99999999", json={"quantity": 1}, headers=user)
        ).status_code == 404
        response = await shop.client.patch(f"/api/cart/items/{2**63}", json={"quantity": 1}, headers=user)
        assert response.status_code == 422


class TestRemoveCartItem:
    async def test_removes_only_that_item(self, shop: Shop) -> None:
        user = shop.user()
        first, second = await shop.create_product(), await shop.create_product()
        await shop.add(user, first)
        items = (await shop.add(user, second)).json()["items"]
        response = await shop.client.delete(f"/api/cart/items/{items[0]['id']}", headers=user)
        assert response.status_code == 200
        assert [item["product_id"] for item in response.json()["items"]] == [second]
        assert (await shop.client.delete(f"/api/cart/items/{items[0]['id']}", headers=user)).status_code == 404


class TestEmptyCart:
    async def test_removes_every_item_and_keeps_the_cart(self, shop: Shop) -> None:
        user = shop.user()
        cart = (await shop.add(user, await shop.create_product())).json()
        response = await shop.client.delete("/api/cart", headers=user)
        assert response.status_code == 200
        assert response.json() == {"id": cart["id"], "items": [], "total": "0.00", "currency": "EUR"}

    async def test_without_a_cart_is_fine(self, shop: Shop) -> None:
        response = await shop.client.delete("/api/cart", headers=shop.user())
        assert response.status_code == 200
        assert response.json()["items"] == []
