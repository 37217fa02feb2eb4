"""/api/shipping-methods: read by anyone, managed by admins; the default stays an active pickup method."""

import asyncio
from typing import Any

import pytest

from tests.products.orders.support import Shop


class TestShippingMethods:
    async def test_the_seeded_default_is_free_pickup_in_store(self, shop: Shop) -> None:
        methods = (await shop.client.get("/api/shipping-methods")).json()
        default = [m for m in methods if m["is_default"]]
        assert [(m["name"], m["price"], m["pickup"], m["active"]) for m in default] == [
            ("Pickup in store", "0.00", True, True)
        ]

    async def test_inactive_methods_are_listed_for_admins_only(self, shop: Shop) -> None:
        method = await shop.shipping_method(name="Night courier")
        admin = shop.admin()
        assert (await shop.client.delete(f"/api/shipping-methods/{method['id']}", headers=admin)).status_code == 204
        assert method["id"] not in [m["id"] for m in (await shop.client.get("/api/shipping-methods")).json()]
        everything = await shop.client.get("/api/shipping-methods?include_inactive=true", headers=admin)
        assert method["id"] in [m["id"] for m in everything.json()]
        refused = await shop.client.get("/api/shipping-methods?include_inactive=true", headers=shop.user())
        assert refused.status_code == 403

    @pytest.mark.parametrize(
        "bad", [{"price": "-1.00"}, {"price": "1.001"}, {"free_above": "-5"}, {"name": ""}, {"price": "abc"}]
    )
    async def test_bad_input_is_422_and_creates_nothing(self, shop: Shop, bad: dict[str, Any]) -> None:
        admin = shop.admin()
        before = await shop.client.get("/api/shipping-methods?include_inactive=true", headers=admin)
        body = {"name": "Bad", "price": "1.00", "pickup": False} | bad
        assert (await shop.client.post("/api/shipping-methods", json=body, headers=admin)).status_code == 422
        after = await shop.client.get("/api/shipping-methods?include_inactive=true", headers=admin)
        assert after.json() == before.json()

    async def test_the_default_stays_an_active_pickup_method(self, shop: Shop) -> None:
        admin = shop.admin()
        default = next(m for m in (await shop.client.get("/api/shipping-methods")).json() if m["is_default"])
        for call in (
            shop.client.delete(f"/api/shipping-methods/{default['id']}", headers=admin),
            shop.client.patch(f"/api/shipping-methods/{default['id']}", json={"active": False}, headers=admin),
            shop.client.patch(f"/api/shipping-methods/{default['id']}", json={"is_default": False}, headers=admin),
            shop.client.post(
                "/api/shipping-methods",
                json={"name": "Courier", "price": "1.00", "pickup": False, "is_default": True},
                headers=admin,
            ),
        ):
            response = await call
            assert (response.status_code, response.json()["error"]["code"]) == (409, "default_shipping_method")

    async def test_writes_are_for_admins(self, shop: Shop) -> None:
        body = {"name": "Mine", "price": "0.00", "pickup": True}
        assert (await shop.client.post("/api/shipping-methods", json=body, headers=shop.user())).status_code == 403
        assert (await shop.client.post("/api/shipping-methods", json=body)).status_code == 401

    async def test_admins_moving_the_default_at_once_leave_exactly_one_default(self, shop: Shop) -> None:
        """The database decides between them (they take turns), never a unique-index error (a 500)."""
        admin = shop.admin()
        original = next(m for m in (await shop.client.get("/api/shipping-methods")).json() if m["is_default"])
        candidates = [await shop.shipping_method(name=f"Counter {n}", price="0.00", pickup=True) for n in range(3)]
        try:
            for _ in range(5):
                answers = await asyncio.gather(
                    *(
                        shop.client.patch(f"/api/shipping-methods/{m['id']}", json={"is_default": True}, headers=admin)
                        for m in candidates
                    ),
                    shop.client.post(
                        "/api/shipping-methods",
                        json={"name": "Counter new", "price": "0.00", "pickup": True, "is_default": True},
                        headers=admin,
                    ),
                )
                assert [answer.status_code for answer in answers] == [200, 200, 200, 201]
                listed = (await shop.client.get("/api/shipping-methods?include_inactive=true", headers=admin)).json()
                assert len([m for m in listed if m["is_default"]]) == 1
        finally:
            back = {"is_default": True}
            response = await shop.client.patch(f"/api/shipping-methods/{original['id']}", json=back, headers=admin)
            assert response.status_code == 200
