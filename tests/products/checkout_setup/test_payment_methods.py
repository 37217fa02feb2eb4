"""/api/payment-methods: the offline methods, their instructions, switched on and off by admins."""

from tests.products.orders.support import Shop


class TestPaymentMethods:
    async def test_the_offline_methods_and_the_shipping_kinds_they_fit(self, shop: Shop) -> None:
        methods = {m["code"]: m["fits"] for m in (await shop.client.get("/api/payment-methods")).json()}
        assert methods == {
            "cash_on_pickup": ["pickup"],
            "cash_on_delivery": ["delivery"],
            "bank_transfer": ["pickup", "delivery"],
        }

    async def test_an_admin_sets_instructions_and_switches_a_method_off(self, shop: Shop) -> None:
        admin = shop.admin()
        body = {"instructions": "IBAN ES91 2100 0418 4502 0005 1332"}
        response = await shop.client.patch("/api/payment-methods/bank_transfer", json=body, headers=admin)
        assert response.json()["instructions"] == body["instructions"]
        await shop.client.patch("/api/payment-methods/cash_on_delivery", json={"enabled": False}, headers=admin)
        try:
            codes = [m["code"] for m in (await shop.client.get("/api/payment-methods")).json()]
            assert codes == ["cash_on_pickup", "bank_transfer"]
        finally:
            await shop.client.patch("/api/payment-methods/cash_on_delivery", json={"enabled": True}, headers=admin)
        assert (await shop.client.patch("/api/payment-methods/card", json={}, headers=admin)).status_code == 404
        assert (
            await shop.client.patch("/api/payment-methods/bank_transfer", json={}, headers=shop.user())
        ).status_code == 403
