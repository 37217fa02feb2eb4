"""/api/addresses: own only, one default, capped."""

from typing import Any

import pytest

from microshop.products.addresses.models import MAX_ADDRESSES
from tests.products.orders.support import ADDRESS, Shop


async def _add(shop: Shop, user: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = await shop.client.post("/api/addresses", json=ADDRESS | fields, headers=user)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _defaults(shop: Shop, user: dict[str, str]) -> list[int]:
    return [a["id"] for a in (await shop.client.get("/api/addresses", headers=user)).json() if a["is_default"]]


class TestAddresses:
    async def test_the_first_is_the_default_and_a_new_default_moves_it(self, shop: Shop) -> None:
        user = shop.user()
        first = await _add(shop, user)
        second = await _add(shop, user, city="Bilbao")
        assert (first["is_default"], second["is_default"]) == (True, False)
        third = await _add(shop, user, is_default=True, country="pt")
        assert third["country"] == "PT"
        assert await _defaults(shop, user) == [third["id"]]
        response = await shop.client.patch(f"/api/addresses/{first['id']}", json={"is_default": True}, headers=user)
        assert response.json()["is_default"] is True
        assert await _defaults(shop, user) == [first["id"]]
        assert (await shop.client.delete(f"/api/addresses/{first['id']}", headers=user)).status_code == 204
        assert await _defaults(shop, user) == [second["id"]]

    async def test_changes_apply_only_the_fields_sent(self, shop: Shop) -> None:
        user = shop.user()
        address = await _add(shop, user, line2="2º B")
        response = await shop.client.patch(
            f"/api/addresses/{address['id']}", json={"city": "Toledo", "line2": None}, headers=user
        )
        assert (response.json()["city"], response.json()["line2"], response.json()["name"]) == (
            "Toledo",
            None,
            ADDRESS["name"],
        )

    @pytest.mark.parametrize(
        "bad",
        [
            {"country": "XX"},
            {"country": "ESP"},
            {"name": ""},
            {"name": "x" * 101},
            {"phone": "call me"},
            {"postal_code": "1" * 21},
            {"line1": "a\x00b"},
            {"nickname": "home"},
        ],
    )
    async def test_bad_fields_are_422_and_nothing_is_stored(self, shop: Shop, bad: dict[str, Any]) -> None:
        user = shop.user()
        response = await shop.client.post("/api/addresses", json=ADDRESS | bad, headers=user)
        assert response.status_code == 422, response.text
        assert (await shop.client.get("/api/addresses", headers=user)).json() == []

    async def test_a_required_field_cannot_be_patched_to_null(self, shop: Shop) -> None:
        user = shop.user()
        address = await _add(shop, user)
        response = await shop.client.patch(f"/api/addresses/{address['id']}", json={"city": None}, headers=user)
        assert response.status_code == 422

    async def test_a_user_keeps_a_bounded_number(self, shop: Shop) -> None:
        user = shop.user()
        for _ in range(MAX_ADDRESSES):
            await _add(shop, user)
        response = await shop.client.post("/api/addresses", json=ADDRESS, headers=user)
        assert (response.status_code, response.json()["error"]["code"]) == (409, "too_many_addresses")

    async def test_another_users_address_is_404_for_every_route(self, shop: Shop) -> None:
        alice, bob = shop.user(), shop.user()
        address = await _add(shop, alice)
        url = f"/api/addresses/{address['id']}"
        assert (await shop.client.get(url, headers=bob)).status_code == 404
        assert (await shop.client.patch(url, json={"city": "Cádiz"}, headers=bob)).status_code == 404
        assert (await shop.client.delete(url, headers=bob)).status_code == 404
        assert (await shop.client.get("/api/addresses", headers=bob)).json() == []
        assert (await shop.client.get(url, headers=alice)).json()["city"] == "Madrid"

    async def test_anonymous_callers_are_401(self, shop: Shop) -> None:
        assert (await shop.client.get("/api/addresses")).status_code == 401
