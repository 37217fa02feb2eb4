"""Helpers of the checkout tests over the running system (real processes, real HTTP)."""

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx

from tests.support.processes import ServiceProcess
from tests.support.system import System
from tests.support.tokens import TokenFactory, bearer

_user_ids = itertools.count(900_000)


def new_user(tokens: TokenFactory) -> dict[str, str]:
    """A user token signed with the system's key (auth issues the same shape)."""
    return bearer(tokens.user(next(_user_ids)))


async def create_product(system: System, tokens: TokenFactory, *, stock: int, price: str = "1500.00") -> int:
    """Through the Products API as an admin; the stock goes to Inventory."""
    async with httpx.AsyncClient(base_url=system.products.url, timeout=30) as client:
        response = await client.post(
            "/api/products",
            json={"name": "Laptop e2e", "price": price, "stock": stock},
            headers=bearer(tokens.admin(next(_user_ids))),
        )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def fetch(system: System, sql: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(system.database_dsn)
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def stock_and_ledger(system: System, product_id: int) -> tuple[int, int]:
    """Inventory's stock of a product and the sum of its movements, read by SQL."""
    rows = await fetch(
        system,
        """
        SELECT i.stock, (SELECT coalesce(sum(m.delta), 0) FROM inventory.movements m WHERE m.product_id = i.product_id)
               AS ledger
        FROM inventory.inventory i WHERE i.product_id = $1
        """,
        product_id,
    )
    return rows[0]["stock"], rows[0]["ledger"]


async def decrements(system: System, order_id: int) -> list[int]:
    """The ledger deltas Inventory recorded for one order's reservation."""
    rows = await fetch(
        system, "SELECT delta FROM inventory.movements WHERE reference = $1 ORDER BY id", f"order-{order_id}"
    )
    return [row["delta"] for row in rows]


async def order_status(system: System, order_id: int) -> str:
    rows = await fetch(system, "SELECT status FROM products.orders WHERE id = $1", order_id)
    return str(rows[0]["status"])


def ensure_running(process: ServiceProcess) -> None:
    """Put a stopped service of the shared system back (tests that stop one call this in `finally`)."""
    if process.process is None or process.process.poll() is not None:
        process.start()


async def wait_for_lock_waiters(system: System, *, count: int = 1, timeout: float = 30) -> None:
    """Until `count` sessions wait on a row lock in the inventory schema (Inventory is stuck on it)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        rows = await fetch(
            system,
            "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query ILIKE '%inventory%' AND application_name = 'inventory'",
        )
        if rows[0]["n"] >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("Inventory never blocked on the held row lock")


@asynccontextmanager
async def row_lock_on_stock(system: System, product_id: int) -> AsyncIterator[None]:
    """Hold `SELECT ... FOR UPDATE` on a product's inventory row: Inventory's writes to it wait."""
    connection = await asyncpg.connect(system.database_dsn)
    try:
        transaction = connection.transaction()
        await transaction.start()
        await connection.execute("SELECT 1 FROM inventory.inventory WHERE product_id = $1 FOR UPDATE", product_id)
        try:
            yield
        finally:
            await transaction.rollback()
    finally:
        await connection.close()
