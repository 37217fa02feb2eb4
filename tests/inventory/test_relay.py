"""Inventory's outbox relay: stock changes reach JetStream, and the service serves while the broker is down.

Not marked `broker`: the app declares the real INVENTORY and DEAD_LETTERS streams, which on a shared
TEST_NATS_URL belong to someone else; here they are the throwaway server's.
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client
from nats.js.api import ConsumerConfig, DeliverPolicy

from microshop.common.events.broker import Namespace
from microshop.common.events.envelope import Event
from microshop.inventory.app import create_app
from microshop.inventory.config import InventorySettings
from microshop.inventory.events import STOCK_CHANGED
from tests.inventory.support import fetch
from tests.support.apps import app_client, make_settings, on_broker
from tests.support.broker import TestBroker, free_broker_port
from tests.support.tokens import TokenFactory, bearer

pytestmark = pytest.mark.broker


@pytest.fixture
async def nc(test_nats: TestBroker) -> AsyncIterator[Client]:
    async with test_nats.connect() as client:
        yield client


async def unsent(database_url: str, product_id: int) -> list[str]:
    rows = await fetch(
        database_url,
        "SELECT payload FROM inventory.outbox WHERE subject = $1 AND sent_at IS NULL ORDER BY seq",
        f"product:{product_id}",
    )
    return [row["payload"] for row in rows]


async def test_stock_changes_are_published_on_inventory_stock_changed(
    database_url: str, test_nats: TestBroker, tokens: TokenFactory, nc: Client, new_product_id
) -> None:
    settings = make_settings(
        InventorySettings, database_url=database_url, jwt_public_key=tokens.public_pem, nats_url=test_nats.url
    )
    app = create_app(settings)
    async with app_client(app, headers=bearer(tokens.service("products-service"))) as client:
        js, namespace = nc.jetstream(), Namespace(settings.events_namespace)
        # The INVENTORY stream exists once the app's broker is connected.
        await asyncio.wait_for(on_broker(app, lambda _: asyncio.sleep(0)), timeout=20)
        consumer = await js.pull_subscribe(
            namespace.subject(STOCK_CHANGED),
            stream=namespace.stream("INVENTORY"),
            config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW),
        )
        a, b = new_product_id(), new_product_id()
        for pid in (a, b):
            response = await client.post("/api/inventory", json={"product_id": pid, "stock": 7})
            assert response.status_code == 200
        reservation = {"reference": f"relay-{uuid.uuid4().hex[:8]}", "items": [{"product_id": a, "quantity": 2}]}
        assert (await client.post("/api/inventory/reservations", json=reservation)).status_code == 201

        published: list[tuple[Event, dict[str, str]]] = []
        async with asyncio.timeout(20):
            while len(published) < 3:
                for message in await consumer.fetch(10, timeout=5):
                    await message.ack()
                    event = Event.from_json(message.data)
                    if event.data["product_id"] in (a, b):
                        assert message.subject == namespace.subject(STOCK_CHANGED)
                        published.append((event, dict(message.headers or {})))
        assert [(event.subject, event.data) for event, _ in published] == [
            (f"product:{a}", {"product_id": a, "stock": 7, "version": 1}),
            (f"product:{b}", {"product_id": b, "stock": 7, "version": 1}),
            (f"product:{a}", {"product_id": a, "stock": 5, "version": 2}),
        ]
        for event, headers in published:
            assert (event.type, event.source, event.data_version) == (STOCK_CHANGED, "inventory", 1)
            assert headers["Nats-Msg-Id"] == str(event.id)  # JetStream de-duplicates a relay's retry on it
        recorded = await fetch(database_url, "SELECT payload FROM inventory.outbox WHERE id = $1", published[2][0].id)
        assert Event.model_validate_json(recorded[0]["payload"]) == published[2][0]
        async with asyncio.timeout(10):  # marked sent by the relay right after publishing
            while await unsent(database_url, a):
                await asyncio.sleep(0.05)
        await consumer.unsubscribe()


async def test_with_the_broker_down_the_service_serves_and_the_event_waits(
    database_url: str, tokens: TokenFactory, product_id: int
) -> None:
    settings = make_settings(
        InventorySettings,
        database_url=database_url,
        jwt_public_key=tokens.public_pem,
        nats_url=f"nats://127.0.0.1:{free_broker_port()}",  # nothing listens there
    )
    app = create_app(settings)
    async with asyncio.timeout(30), app_client(app, headers=bearer(tokens.service("products-service"))) as client:
        response = await client.post("/api/inventory", json={"product_id": product_id, "stock": 3})
        assert response.status_code == 200
        reservation = {"reference": f"down-{product_id}", "items": [{"product_id": product_id, "quantity": 1}]}
        assert (await client.post("/api/inventory/reservations", json=reservation)).status_code == 201
        assert (await client.get(f"/api/inventory/{product_id}")).json()["version"] == 2
        assert not app.state.broker.connected
        await asyncio.sleep(0.5)  # a relay that could publish would have done so by now
        waiting = [json.loads(payload)["data"] for payload in await unsent(database_url, product_id)]
        assert waiting == [
            {"product_id": product_id, "stock": 3, "version": 1},
            {"product_id": product_id, "stock": 2, "version": 2},
        ]
