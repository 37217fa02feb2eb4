"""Checkout with choices (address, shipping method, payment method), the quote, and bad choices creating nothing."""

from typing import Any

import pytest

from tests.products.orders.support import ADDRESS, Shop


@pytest.fixture(scope="module")
async def courier(shop: Shop) -> dict[str, Any]:
    return await shop.shipping_method(name="Courier 24h", price="4.90", free_above="100.00")


async def _counts(shop: Shop) -> tuple[int, int]:
    rows = await shop.fetch(
        "SELECT (SELECT count(*) FROM products.orders) AS orders, (SELECT count(*) FROM products.outbox) AS events"
    )
    return rows[0]["orders"], rows[0]["events"]


class TestCheckoutWithoutABody:
    async def test_the_original_flow_still_answers_compra_exitosa_and_picks_up_in_store(self, shop: Shop) -> None:
        user = shop.user()
        await shop.add(user, await shop.create_product(price="12.50"), 2)
        response = await shop.client.post("/api/cart/checkout", headers=user)
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["message"], body["total"]) == ("Compra exitosa", "25.00")
        order = (await shop.client.get(f"/api/orders/{body['order_id']}", headers=user)).json()
        assert order["shipping"] | {"method_id": None} == {
            "method_id": None,
            "name": "Pickup in store",
            "price": "0.00",
            "pickup": True,
        }
        assert (order["payment"]["method"], order["payment"]["status"]) == ("cash_on_pickup", "unpaid")
        assert (order["subtotal"], order["shipping_total"], order["total"], order["currency"]) == (
            "25.00",
            "0.00",
            "25.00",
            "EUR",
        )
        assert order["address"] is None
        assert [(s["from_state"], s["to_state"], s["actor"]) for s in order["history"]] == [
            ("pending", "placed", "customer")
        ]


class TestCheckoutWithChoices:
    async def test_delivery_with_bank_transfer_charges_shipping_and_keeps_snapshots(
        self, shop: Shop, courier: dict[str, Any]
    ) -> None:
        admin = shop.admin()
        instructions = {"instructions": "IBAN ES00 0000 0000 0000 0000 0000, reference: your order number"}
        assert (
            await shop.client.patch("/api/payment-methods/bank_transfer", json=instructions, headers=admin)
        ).is_success
        user = shop.user()
        address = (await shop.client.post("/api/addresses", json=ADDRESS, headers=user)).json()
        await shop.add(user, await shop.create_product(price="12.50"), 2)
        choices = {"address_id": address["id"], "shipping_method_id": courier["id"], "payment_method": "bank_transfer"}
        quote = (await shop.client.post("/api/cart/quote", json=choices, headers=user)).json()
        assert (quote["subtotal"], quote["shipping_total"], quote["total"], quote["currency"]) == (
            "25.00",
            "4.90",
            "29.90",
            "EUR",
        )
        response = await shop.client.post("/api/cart/checkout", json=choices, headers=user)
        assert response.status_code == 201, response.text
        assert response.json()["total"] == "29.90"
        order_id = response.json()["order_id"]
        # Later edits change neither the order's address, nor its price, nor its instructions.
        await shop.client.patch(f"/api/addresses/{address['id']}", json={"city": "Sevilla"}, headers=user)
        await shop.client.patch(f"/api/shipping-methods/{courier['id']}", json={"price": "9.99"}, headers=admin)
        await shop.client.patch(f"/api/shipping-methods/{courier['id']}", json={"price": "4.90"}, headers=admin)
        order = (await shop.client.get(f"/api/orders/{order_id}", headers=user)).json()
        assert order["address"]["city"] == "Madrid"
        assert order["shipping"] == {
            "method_id": courier["id"],
            "name": "Courier 24h",
            "price": "4.90",
            "pickup": False,
        }
        assert order["payment"] == {
            "method": "bank_transfer",
            "name": "Bank transfer",
            "instructions": instructions["instructions"],
            "status": "unpaid",
        }

    async def test_shipping_is_free_from_the_threshold_up(self, shop: Shop, courier: dict[str, Any]) -> None:
        user = shop.user()
        order_id = await shop.buy(
            user,
            await shop.create_product(price="50.00"),
            2,
            choices={"address": ADDRESS, "shipping_method_id": courier["id"]},
        )
        order = (await shop.client.get(f"/api/orders/{order_id}", headers=user)).json()
        assert (order["shipping_total"], order["total"], order["payment"]["method"]) == (
            "0.00",
            "100.00",
            "cash_on_delivery",
        )


BAD_CHOICES = [
    ("unknown country", lambda c: {"address": ADDRESS | {"country": "XX"}, "shipping_method_id": c["id"]}, 422),
    ("delivery without an address", lambda c: {"shipping_method_id": c["id"]}, 422),
    ("both kinds of address", lambda c: {"address_id": 1, "address": ADDRESS, "shipping_method_id": c["id"]}, 422),
    ("unknown shipping method", lambda c: {"shipping_method_id": 99999999}, 404),
    (
        "cash on pickup for a delivery",
        lambda c: {"address": ADDRESS, "shipping_method_id": c["id"], "payment_method": "cash_on_pickup"},
        409,
    ),
    ("cash on delivery for a pickup", lambda c: {"payment_method": "cash_on_delivery"}, 409),
    ("unknown payment method", lambda c: {"payment_method": "card"}, 404),
    ("an unknown field", lambda c: {"coupon": "FREE"}, 422),
]


@pytest.mark.parametrize(("label", "choices", "status"), BAD_CHOICES, ids=[case[0] for case in BAD_CHOICES])
async def test_bad_choices_are_4xx_and_create_nothing(
    shop: Shop, courier: dict[str, Any], label: str, choices: Any, status: int
) -> None:
    user = shop.user()
    await shop.add(user, await shop.create_product(), 1)
    before = await _counts(shop)
    for route in ("/api/cart/quote", "/api/cart/checkout"):
        response = await shop.client.post(route, json=choices(courier), headers=user)
        assert response.status_code == status, (route, response.text)
    assert await _counts(shop) == before
    assert len((await shop.client.get("/api/cart", headers=user)).json()["items"]) == 1


async def test_an_inactive_method_or_a_disabled_payment_method_creates_nothing(shop: Shop) -> None:
    admin = shop.admin()
    retired = await shop.shipping_method(name="Retired courier")
    assert (await shop.client.delete(f"/api/shipping-methods/{retired['id']}", headers=admin)).status_code == 204
    user = shop.user()
    await shop.add(user, await shop.create_product(), 1)
    before = await _counts(shop)
    response = await shop.client.post(
        "/api/cart/checkout", json={"shipping_method_id": retired["id"], "address": ADDRESS}, headers=user
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "shipping_method_inactive")
    off = {"enabled": False}
    assert (await shop.client.patch("/api/payment-methods/cash_on_pickup", json=off, headers=admin)).is_success
    try:
        response = await shop.client.post("/api/cart/checkout", headers=user)
        assert (response.status_code, response.json()["error"]["code"]) == (409, "payment_method_unavailable")
    finally:
        on = {"enabled": True}
        assert (await shop.client.patch("/api/payment-methods/cash_on_pickup", json=on, headers=admin)).is_success
    assert await _counts(shop) == before


async def test_another_users_address_is_404_at_checkout(shop: Shop, courier: dict[str, Any]) -> None:
    alice, bob = shop.user(), shop.user()
    address = (await shop.client.post("/api/addresses", json=ADDRESS, headers=alice)).json()
    await shop.add(bob, await shop.create_product(), 1)
    before = await _counts(shop)
    choices = {"address_id": address["id"], "shipping_method_id": courier["id"]}
    response = await shop.client.post("/api/cart/checkout", json=choices, headers=bob)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "address_not_found")
    assert await _counts(shop) == before
