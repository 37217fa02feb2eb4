"""The seed's product creation over real processes: auth issues the tokens, Products asks Inventory."""

import httpx
import pytest

from tests.products.catalog.support import image_bytes
from tests.support.system import System
from tests.support.tokens import bearer

pytestmark = pytest.mark.e2e


def test_seed_curl_creates_a_product_whose_stock_lives_in_inventory(system: System) -> None:
    token = system.register_and_login("catalog-admin@example.com", username="catalogadmin")
    with httpx.Client(base_url=system.products.url, headers=bearer(token), timeout=10) as products:
        # curl -X POST http://localhost:8001/api/products -H "Authorization: Bearer ..." -F name=Laptop ...
        created = products.post(
            "/api/products",
            files={
                "name": (None, "Laptop"),
                "price": (None, "1500"),
                "stock": (None, "10"),
                "image": ("laptop.jpg", image_bytes("JPEG"), "image/jpeg"),
            },
        )
        assert created.status_code == 201, created.text
        product = created.json()
        assert (product["price"], product["stock"]) == ("1500.00", 10)
        assert products.get(product["image_url"]).status_code == 200
        listed = products.get("/api/products", params={"q": "Laptop"}).json()
        assert [item["stock"] for item in listed["items"] if item["id"] == product["id"]] == [10]
    with httpx.Client(base_url=system.inventory.url, headers=bearer(token), timeout=10) as inventory:
        assert inventory.get(f"/api/inventory/{product['id']}").json()["stock"] == 10
        # The ledger names the admin the service acted for, not only the service.
        movements = inventory.get(f"/api/inventory/{product['id']}/movements").json()["items"]
        admin_id = httpx.get(f"{system.auth.url}/me", headers=bearer(token), timeout=10).json()["id"]
        assert [(m["delta"], m["actor"].split()[0]) for m in movements] == [(10, f"user:{admin_id}")]


def test_a_plain_user_cannot_create_products(system: System) -> None:
    token = system.register_and_login("catalog-shopper@example.com")
    response = httpx.post(
        f"{system.products.url}/api/products", json={"name": "X", "price": "1"}, headers=bearer(token), timeout=10
    )
    assert response.status_code == 403
