"""The stock read model against Inventory's snapshot: filled when empty, drift repaired and counted,
rebuilt in place on demand — with the real Inventory service answering the snapshot pages."""

import asyncio
from typing import Any

import pytest
from nats.js.errors import NotFoundError
from prometheus_client import REGISTRY
from sqlalchemy import text

from microshop.common.db import Leadership, lock_class
from microshop.common.events.broker import INVENTORY, Namespace
from microshop.products.stock import service
from microshop.products.stock.jobs import RECONCILE_LOCK, reconcile_if_leading
from tests.products.catalog.support import Catalog
from tests.support.apps import on_broker

TABLES = {"read model": "products.stock_levels", "inventory": "inventory.inventory"}


async def levels(catalog: Catalog, product_ids: list[int], *, side: str) -> dict[int, tuple[int, int]]:
    """(stock, version) per product on one side: Products' read model or Inventory's own rows."""
    sql = f"SELECT product_id, stock, version FROM {TABLES[side]} WHERE product_id = ANY(:ids)"  # noqa: S608
    async with catalog.app.state.sessionmaker() as session:
        rows = await session.execute(text(sql), {"ids": product_ids})
        return {row.product_id: (row.stock, row.version) for row in rows}


async def read_model(catalog: Catalog, product_ids: list[int]) -> dict[int, tuple[int, int]]:
    return await levels(catalog, product_ids, side="read model")


async def inventory(catalog: Catalog, product_ids: list[int]) -> dict[int, tuple[int, int]]:
    return await levels(catalog, product_ids, side="inventory")


async def execute(catalog: Catalog, sql: str, **params: Any) -> None:
    async with catalog.app.state.sessionmaker.begin() as session:
        await session.execute(text(sql), params)


def repairs() -> float:
    return REGISTRY.get_sample_value("microshop_stock_read_model_repairs_total") or 0.0


async def events_settled(catalog: Catalog) -> bool:
    """Inventory's outbox is all sent and Products' stock consumer has applied it all."""
    async with catalog.app.state.sessionmaker() as session:
        unsent = await session.scalar(text("SELECT count(*) FROM inventory.outbox WHERE sent_at IS NULL"))
    stream = Namespace(catalog.settings.events_namespace).stream(INVENTORY.name)
    try:
        info = await on_broker(catalog.app, lambda js: js.consumer_info(stream, service.STOCK_LEVELS.durable))
    except NotFoundError:  # the consumer has not started yet
        return False
    return unsent == 0 and info.num_pending == 0 and info.num_ack_pending == 0


@pytest.fixture
async def products(catalog: Catalog) -> list[int]:
    created = [(await catalog.create(name=f"Reconciled {n}", stock=10 + n))["id"] for n in range(3)]
    # Their events applied first: one arriving late would put back a row a test has just deleted.
    async with asyncio.timeout(20):
        while not await events_settled(catalog):
            await asyncio.sleep(0.05)
    return created


async def test_an_emptied_read_model_fills_itself_from_inventory_without_counting_repairs(
    catalog: Catalog, products: list[int]
) -> None:
    await execute(catalog, "DELETE FROM products.stock_levels")
    before = repairs()
    applied = await service.reconcile(
        sessionmaker=catalog.app.state.sessionmaker, inventory=catalog.app.state.inventory, count_repairs=False
    )
    assert applied >= len(products)
    assert await read_model(catalog, products) == await inventory(catalog, products)
    assert repairs() == before


async def test_drift_the_events_missed_is_repaired_and_counted(catalog: Catalog, products: list[int]) -> None:
    drifted = products[0]
    # Inventory moved on long ago (its row's time says so) and the read model never heard of it.
    await execute(catalog, "UPDATE products.stock_levels SET stock = 1, version = 1 WHERE product_id = :id", id=drifted)
    await execute(
        catalog,
        "UPDATE inventory.inventory SET version = version + 1, updated_at = now() - interval '1 hour' "
        "WHERE product_id = :id",
        id=drifted,
    )
    before = repairs()
    await service.reconcile(sessionmaker=catalog.app.state.sessionmaker, inventory=catalog.app.state.inventory)
    assert await read_model(catalog, products) == await inventory(catalog, products)
    assert repairs() == before + 1
    # A second pass finds nothing more.
    await service.reconcile(sessionmaker=catalog.app.state.sessionmaker, inventory=catalog.app.state.inventory)
    assert repairs() == before + 1


async def test_a_rebuild_lowers_versions_above_inventory_and_drops_unknown_products(
    catalog: Catalog, products: list[int]
) -> None:
    ahead, unknown = products[1], 9_000_000_001
    await execute(
        catalog, "UPDATE products.stock_levels SET stock = 999, version = 1000 WHERE product_id = :id", id=ahead
    )
    await execute(
        catalog,
        "INSERT INTO products.stock_levels (product_id, stock, version, updated_at) VALUES (:id, 5, 1, now())",
        id=unknown,
    )
    await asyncio.sleep(0.01)  # the rows above are older than the rebuild's start
    await service.rebuild(sessionmaker=catalog.app.state.sessionmaker, inventory=catalog.app.state.inventory)
    assert await read_model(catalog, products) == await inventory(catalog, products)
    assert await read_model(catalog, [unknown]) == {}


async def test_reads_keep_their_stock_while_a_rebuild_runs(catalog: Catalog, products: list[int]) -> None:
    expected = await inventory(catalog, products)
    seen: list[dict[int, tuple[int, int]]] = []
    rebuilding = asyncio.create_task(
        service.rebuild(sessionmaker=catalog.app.state.sessionmaker, inventory=catalog.app.state.inventory)
    )
    while not rebuilding.done():
        seen.append(await read_model(catalog, products))
    await rebuilding
    assert len(seen) > 3
    assert all(snapshot == expected for snapshot in seen), [s for s in seen if s != expected][:1]


async def test_one_worker_leads_the_periodic_pass_and_another_takes_over_when_it_stops(catalog: Catalog) -> None:
    engine = catalog.app.state.engine
    first, second = Leadership(engine, RECONCILE_LOCK), Leadership(engine, RECONCILE_LOCK)  # two workers
    try:
        assert await reconcile_if_leading(catalog.app, first)
        assert not await reconcile_if_leading(catalog.app, second)  # the first leads: the second walks nothing
        assert await reconcile_if_leading(catalog.app, first)
        await first.release()  # that worker stopped
        assert await reconcile_if_leading(catalog.app, second)
        assert not await reconcile_if_leading(catalog.app, first)
    finally:
        await first.release()
        await second.release()


async def test_a_leader_that_lost_its_connection_lets_another_worker_lead(catalog: Catalog) -> None:
    engine = catalog.app.state.engine
    first, second = Leadership(engine, RECONCILE_LOCK), Leadership(engine, RECONCILE_LOCK)
    try:
        assert await first.held()
        await execute(  # the leader's connection ends (a crash, a network cut): its lock goes with it
            catalog,
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = :key "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            key=lock_class(RECONCILE_LOCK),
        )
        assert await second.held()
        assert not await first.held()
    finally:
        await first.release()
        await second.release()
