"""Money carries its currency: every product, cart and shipping-method answer says the shop's SHOP_CURRENCY."""

from typing import Any

from tests.products.orders.support import Shop, products_client, products_settings
from tests.support.tokens import TokenFactory


class TestShopCurrency:
    async def test_a_pound_shop_says_gbp_on_listing_product_page_and_cart(
        self, shop: Shop, tokens: TokenFactory
    ) -> None:
        product_id = await shop.create_product(name="Kettle in pounds", price="24.50", stock=3)
        settings = products_settings(shop.database_url, tokens, shop.inventory_url, shop_currency="gbp")
        async with products_client(settings, tokens) as (_, client):
            listing = (await client.get("/api/products", params={"q": "Kettle in pounds"})).json()
            assert [(item["id"], item["price"], item["currency"]) for item in listing["items"]] == [
                (product_id, "24.50", "GBP")
            ]
            product = (await client.get(f"/api/products/{product_id}")).json()
            assert (product["price"], product["currency"]) == ("24.50", "GBP")

            user = shop.user()
            assert (await client.get("/api/cart", headers=user)).json()["currency"] == "GBP"  # no cart yet
            added = await client.post("/api/cart", json={"product_id": product_id, "quantity": 2}, headers=user)
            assert (added.json()["total"], added.json()["currency"]) == ("49.00", "GBP")
            assert (await client.get("/api/cart", headers=user)).json()["currency"] == "GBP"

            created = await client.post("/api/products", json={"name": "Teapot", "price": "9"}, headers=shop.admin())
            assert created.status_code == 201, created.text
            assert created.json()["currency"] == "GBP"
            updated = await client.put(
                f"/api/products/{created.json()['id']}", json={"price": "10"}, headers=shop.admin()
            )
            assert (updated.json()["price"], updated.json()["currency"]) == ("10.00", "GBP")

            body = {"name": "Pound courier", "price": "3.50", "pickup": False}
            method = (await client.post("/api/shipping-methods", json=body, headers=shop.admin())).json()
            assert method["currency"] == "GBP"
            moved = await client.patch(
                f"/api/shipping-methods/{method['id']}", json={"price": "4"}, headers=shop.admin()
            )
            assert moved.json()["currency"] == "GBP"
            methods = (await client.get("/api/shipping-methods")).json()
            assert {m["currency"] for m in methods} == {"GBP"}

    async def test_the_default_shop_says_eur(self, shop: Shop) -> None:
        product_id = await shop.create_product(price="3.00")
        assert (await shop.client.get(f"/api/products/{product_id}")).json()["currency"] == "EUR"
        assert (await shop.add(shop.user(), product_id)).json()["currency"] == "EUR"


class TestOpenAPI:
    async def test_every_shape_with_amounts_requires_an_iso_4217_currency(self, shop: Shop) -> None:
        schemas: dict[str, Any] = (await shop.client.get("/openapi.json")).json()["components"]["schemas"]
        for shape in ("ProductRead", "CartRead", "ShippingMethodRead", "QuoteRead", "CheckoutRead", "OrderRead"):
            assert "currency" in schemas[shape]["required"]
            currency = schemas[shape]["properties"]["currency"]
            assert currency["type"] == "string" and "ISO 4217" in currency["description"]
