"""Stock reaches the catalog through events, over real processes: no read asks Inventory."""

import re
import time

import httpx
import pytest

from tests.support.system import System
from tests.support.tokens import bearer

pytestmark = [pytest.mark.e2e, pytest.mark.broker]

_REQUEST_COUNT = re.compile(r"^http_requests_total\{([^}]*)\} ([0-9.e+]+)$", re.MULTILINE)


def inventory_requests(system: System) -> int:
    """Every request Inventory has served (but /metrics itself), from its own counters."""
    metrics = httpx.get(f"{system.inventory.url}/metrics", timeout=5).text
    return int(sum(float(value) for labels, value in _REQUEST_COUNT.findall(metrics) if "/metrics" not in labels))


def until(condition: object, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not seen in time"
        time.sleep(0.02)


def test_a_hundred_catalog_product_and_cart_reads_make_no_call_to_inventory(system: System) -> None:
    admin = bearer(system.register_and_login("readmodel-admin@example.com", username="readmodeladmin"))
    shopper = bearer(system.register_and_login("readmodel-shopper@example.com"))
    with httpx.Client(base_url=system.products.url, timeout=10) as products:
        product = products.post("/api/products", json={"name": "Lamp", "price": "30", "stock": 6}, headers=admin)
        assert product.status_code == 201, product.text
        product_id = product.json()["id"]
        assert products.post("/api/cart", json={"product_id": product_id, "quantity": 1}, headers=shopper).is_success
        before = inventory_requests(system)
        for n in range(100):
            if n % 3 == 0:
                page = products.get("/api/products", params={"q": "Lamp"}).json()
                assert [item["stock"] for item in page["items"] if item["id"] == product_id] == [6]
            elif n % 3 == 1:
                assert products.get(f"/api/products/{product_id}").json()["stock"] == 6
            else:
                assert products.get("/api/cart", headers=shopper).json()["items"][0]["stock"] == 6
        assert inventory_requests(system) == before


def test_a_stock_change_made_at_inventory_reaches_the_catalog(system: System) -> None:
    admin = bearer(system.register_and_login("readmodel-admin2@example.com", username="readmodeladmin2"))
    with httpx.Client(timeout=10) as client:
        created = client.post(
            f"{system.products.url}/api/products", json={"name": "Desk", "price": "90", "stock": 2}, headers=admin
        )
        product_id = created.json()["id"]
        entry = {"product_id": product_id, "type": "in", "quantity": 5, "reason": "delivery"}
        assert client.post(f"{system.inventory.url}/api/inventory", json=entry, headers=admin).status_code in (200, 201)

        def shown() -> bool:
            return client.get(f"{system.products.url}/api/products/{product_id}").json()["stock"] == 7

        until(shown)
        in_stock = client.get(f"{system.products.url}/api/products", params={"in_stock": "true", "q": "Desk"}).json()
        assert [item["id"] for item in in_stock["items"]] == [product_id]
        # Caught up and idle, the catalog says its stock is current, and stays so while nothing happens.
        time.sleep(2.5)
        lags = {client.get(f"{system.products.url}/api/products").headers["X-Stock-Lag"] for _ in range(5)}
        assert lags == {"0.000"}


def test_metrics_show_the_consumer_lag_and_the_outbox(system: System) -> None:
    """Products reports its consumer's lag and what it applied; Inventory its unsent outbox rows."""

    def products_metrics() -> str:
        return httpx.get(f"{system.products.url}/metrics", timeout=5).text

    until(lambda: 'microshop_events_consumer_lag{consumer="products-stock-levels"}' in products_metrics())
    assert 'microshop_events_applied_total{consumer="products-stock-levels"}' in products_metrics()

    def inventory_metrics() -> str:
        return httpx.get(f"{system.inventory.url}/metrics", timeout=5).text

    until(lambda: 'microshop_outbox_unsent{outbox="inventory.outbox"} 0.0' in inventory_metrics())
    assert 'microshop_outbox_oldest_unsent_seconds{outbox="inventory.outbox"} 0.0' in inventory_metrics()
