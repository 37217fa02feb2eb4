"""Catalog changes publish `catalog.product.*` through Products' outbox, in the change's transaction."""

import asyncio
import json
from typing import Any

from sqlalchemy import text

from tests.products.catalog.support import Catalog


async def outbox_rows(catalog: Catalog, product_id: int) -> list[Any]:
    async with catalog.app.state.sessionmaker() as session:
        result = await session.execute(
            text("SELECT type, payload, sent_at FROM products.outbox WHERE subject = :subject ORDER BY seq"),
            {"subject": f"product:{product_id}"},
        )
        return list(result)


async def test_create_update_and_archive_each_record_one_event_with_the_product(catalog: Catalog) -> None:
    created = await catalog.create(name="Evented lamp", price="19.90", features={"colour": "red"}, stock=3)
    product_id = created["id"]
    admin = catalog.admin()
    renamed = await catalog.client.put(f"/api/products/{product_id}", json={"name": "Evented desk lamp"}, headers=admin)
    assert renamed.status_code == 200, renamed.text
    # Stock alone is Inventory's business: its own event, none from the catalog.
    restocked = await catalog.client.put(f"/api/products/{product_id}", json={"stock": 9}, headers=admin)
    assert restocked.status_code == 200, restocked.text
    assert (await catalog.client.delete(f"/api/products/{product_id}", headers=admin)).status_code == 204

    rows = await outbox_rows(catalog, product_id)
    assert [row.type for row in rows] == [
        "catalog.product.created",
        "catalog.product.updated",
        "catalog.product.archived",
    ]
    payloads = [json.loads(row.payload) for row in rows]
    assert all(
        payload["source"] == "products" and payload["subject"] == f"product:{product_id}" for payload in payloads
    )
    first, second, last = (payload["data"] for payload in payloads)
    assert first == {
        "product_id": product_id,
        "name": "Evented lamp",
        "description": None,
        "price": "19.90",
        "image_url": None,
        "features": {"colour": "red"},
        "archived": False,
        "updated_at": first["updated_at"],
    }
    assert second["name"] == "Evented desk lamp" and not second["archived"]
    assert last["archived"] is True


async def test_the_relay_publishes_them(catalog: Catalog) -> None:
    product_id = (await catalog.create(name="Published lamp"))["id"]
    for _ in range(100):
        rows = await outbox_rows(catalog, product_id)
        if rows and all(row.sent_at is not None for row in rows):
            break
        await asyncio.sleep(0.1)
    assert [(row.type, row.sent_at is not None) for row in rows] == [("catalog.product.created", True)]


async def test_a_refused_create_records_no_event(catalog: Catalog) -> None:
    before = await catalog.client.get("/api/products", params={"q": "Refused lamp"})
    response = await catalog.client.post(
        "/api/products", json={"name": "Refused lamp", "price": "-1"}, headers=catalog.admin()
    )
    assert response.status_code == 422
    async with catalog.app.state.sessionmaker() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM products.outbox WHERE payload::jsonb -> 'data' ->> 'name' = 'Refused lamp'")
        )
    assert count == 0
    assert before.json()["total"] == 0
