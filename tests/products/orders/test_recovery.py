"""The recovery job: pending orders finished (or released) without their client."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from microshop.products.inventory_client import ReservationItem
from microshop.products.orders.recovery import RecoveryStats, recover_once
from tests.products.orders.support import Shop, products_client, products_settings
from tests.support.postgres import asyncpg_dsn
from tests.support.tokens import TokenFactory

NOW, FOREVER = timedelta(0), timedelta(days=1)


async def _pending_order(shop: Shop, product_id: int, quantity: int) -> tuple[dict[str, str], int]:
    """A checkout that met a dead Inventory: 503, order pending."""
    user = shop.user()
    await shop.add(user, product_id, quantity)
    async with shop.inventory_down() as down:
        response = await down.post("/api/cart/checkout", headers=user)
    assert response.status_code == 503
    rows = await shop.fetch("SELECT max(id) AS id FROM products.orders WHERE status = 'pending'")
    return user, rows[0]["id"]


async def _recover(shop: Shop, *, min_age: timedelta = NOW, abandon_after: timedelta = FOREVER) -> RecoveryStats:
    return await recover_once(
        sessionmaker=shop.app.state.sessionmaker,
        inventory=shop.app.state.inventory,
        min_age=min_age,
        abandon_after=abandon_after,
    )


@pytest.fixture(autouse=True)
async def no_pending_orders_left_over(shop: Shop) -> AsyncIterator[None]:
    """Each test starts with no pending order from another test."""
    yield
    await shop.fetch("UPDATE products.orders SET status = 'cancelled' WHERE status = 'pending'")


class TestRecoverOnce:
    async def test_completes_a_pending_order_with_one_decrement_and_empties_the_cart(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=5)
        user, order_id = await _pending_order(shop, product_id, 2)
        stats = await _recover(shop)
        assert stats.settled == {"placed": 1}
        assert (await shop.order_row(order_id))["status"] == "placed"
        assert await shop.stock(product_id) == 3
        assert (await shop.client.get("/api/cart", headers=user)).json()["items"] == []
        await _recover(shop)
        assert len(await shop.movements(f"order-{order_id}")) == 1
        replay = await shop.client.post("/api/cart/checkout", headers=user)
        assert replay.status_code == 400  # the order is done; the cart it bought is gone

    async def test_rejects_a_pending_order_whose_stock_is_gone(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=5)
        user, order_id = await _pending_order(shop, product_id, 4)
        await shop.set_stock(product_id, 1)
        assert (await _recover(shop)).settled == {"rejected": 1}
        row = await shop.order_row(order_id)
        assert row["status"] == "rejected"
        assert len((await shop.client.get("/api/cart", headers=user)).json()["items"]) == 1

    async def test_leaves_young_orders_to_their_checkout(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=5)
        _, order_id = await _pending_order(shop, product_id, 1)
        stats = await _recover(shop, min_age=timedelta(hours=1))
        assert stats.settled == {}
        assert (await shop.order_row(order_id))["status"] == "pending"

    async def test_abandoned_orders_are_released_and_a_late_reservation_is_refused(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=5)
        _, order_id = await _pending_order(shop, product_id, 2)
        stats = await _recover(shop, abandon_after=NOW)
        assert stats.cancelled == 1
        assert (await shop.order_row(order_id))["status"] == "cancelled"
        # A late retry of the same reservation (say, a request stuck in a proxy) cannot sell the units.
        items = [ReservationItem(product_id, 2)]
        reservation = await shop.app.state.inventory.reserve(f"order-{order_id}", items)
        assert reservation.status == "released"
        assert await shop.stock(product_id) == 5

    async def test_abandoning_a_committed_reservation_gives_the_units_back(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=5)
        _, order_id = await _pending_order(shop, product_id, 2)
        inventory = shop.app.state.inventory
        committed = await inventory.reserve(f"order-{order_id}", [ReservationItem(product_id, 2)])
        assert committed.status == "committed"
        assert await shop.stock(product_id) == 3
        await _recover(shop, abandon_after=NOW)
        assert (await shop.order_row(order_id))["status"] == "cancelled"
        assert await shop.stock(product_id) == 5
        deltas = [(m["delta"], m["reason"]) for m in await shop.movements(f"order-{order_id}")]
        assert deltas == [(-2, "reservation"), (2, "compensation")]

    async def test_inventory_down_defers_without_raising(self, shop: Shop, tokens: TokenFactory) -> None:
        product_id = await shop.create_product(stock=5)
        _, order_id = await _pending_order(shop, product_id, 1)
        settings = products_settings(shop.database_url, tokens, "http://127.0.0.1:9", http_retries=0)
        async with products_client(settings, tokens) as (app, _):
            stats = await recover_once(
                sessionmaker=app.state.sessionmaker, inventory=app.state.inventory, min_age=NOW, abandon_after=FOREVER
            )
        assert stats.deferred
        assert (await shop.order_row(order_id))["status"] == "pending"

    async def test_orders_locked_by_another_worker_are_skipped(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=5)
        _, order_id = await _pending_order(shop, product_id, 1)
        other = await asyncpg.connect(asyncpg_dsn(shop.database_url))
        try:
            async with other.transaction():
                await other.execute("SELECT 1 FROM products.orders WHERE id = $1 FOR UPDATE", order_id)
                stats = await _recover(shop)
                assert stats.settled == {}
        finally:
            await other.close()
        assert (await _recover(shop)).settled == {"placed": 1}


class TestRecoveryJob:
    async def test_runs_in_the_background_and_finishes_pending_orders(self, shop: Shop, tokens: TokenFactory) -> None:
        product_id = await shop.create_product(stock=5)
        _, order_id = await _pending_order(shop, product_id, 1)
        settings = products_settings(
            shop.database_url, tokens, shop.inventory_url, recovery_interval_seconds=0.05, recovery_min_age_seconds=0
        )
        async with products_client(settings, tokens):
            for _ in range(200):
                if (await shop.order_row(order_id))["status"] != "pending":
                    break
                await asyncio.sleep(0.05)
        assert (await shop.order_row(order_id))["status"] == "placed"
        assert await shop.stock(product_id) == 4

    async def test_survives_inventory_being_down(self, shop: Shop, tokens: TokenFactory) -> None:
        product_id = await shop.create_product(stock=5)
        _, order_id = await _pending_order(shop, product_id, 1)
        settings = products_settings(
            shop.database_url,
            tokens,
            "http://127.0.0.1:9",
            http_retries=0,
            recovery_interval_seconds=0.01,
            recovery_min_age_seconds=0,
        )
        async with products_client(settings, tokens) as (_, client):
            await asyncio.sleep(0.2)  # several failing passes
            assert (await client.get("/health")).status_code == 200
            task = next(t for t in asyncio.all_tasks() if t.get_name() == "checkout-recovery")
            assert not task.done()
        assert (await shop.order_row(order_id))["status"] == "pending"
