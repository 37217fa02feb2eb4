"""A real deadlock with another transaction is retried: the reservation still succeeds, never a 500."""

import asyncio

import asyncpg
import httpx

from tests.inventory.support import ledger_violations
from tests.support.postgres import asyncpg_dsn

# The reservation is the only session of this database that can wait on a lock here (its statement is
# longer than pg_stat_activity keeps of a query, so it is not matched by its text).
WAITING_ON_A_LOCK = """
SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
"""


DEADLOCKS = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"


async def deadlocks_beyond(connection: asyncpg.Connection, before: int) -> int:
    """The database's deadlock count once it is past `before` (statistics arrive a moment after the abort)."""
    for _ in range(100):
        await connection.execute("SELECT pg_stat_clear_snapshot()")
        if (count := await connection.fetchval(DEADLOCKS)) > before:
            return int(count)
        await asyncio.sleep(0.1)
    raise AssertionError("PostgreSQL counted no deadlock: the reservation only waited")


async def wait_until_blocked(connection: asyncpg.Connection) -> None:
    """Until the service's reservation waits on a row lock (bounded: the test fails rather than hangs)."""
    for _ in range(600):
        if await connection.fetchval(WAITING_ON_A_LOCK):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the reservation never waited on the locked row")


async def test_deadlock_victim_is_retried_and_commits_once(
    client: httpx.AsyncClient, admin: dict[str, str], service: dict[str, str], new_product_id, database_url: str
) -> None:
    first, second = sorted([new_product_id(), new_product_id()])
    for product_id in (first, second):
        await client.post("/api/inventory", json={"product_id": product_id, "stock": 5}, headers=admin)

    other = await asyncpg.connect(asyncpg_dsn(database_url))
    observer = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        deadlocks_before = await observer.fetchval(DEADLOCKS)
        # The other transaction never runs deadlock detection itself, so the service's is the victim.
        await other.execute("SET deadlock_timeout = '60s'")
        transaction = other.transaction()
        await transaction.start()
        await other.execute("SELECT 1 FROM inventory.inventory WHERE product_id = $1 FOR UPDATE", second)

        body = {
            "reference": "deadlock-1",
            "items": [{"product_id": first, "quantity": 1}, {"product_id": second, "quantity": 2}],
        }
        reservation = asyncio.create_task(client.post("/api/inventory/reservations", json=body, headers=service))
        await wait_until_blocked(observer)  # it holds `first` and waits for `second`
        # Now lock `first` the other way round: a deadlock, which PostgreSQL breaks by aborting the reservation.
        await other.execute("UPDATE inventory.inventory SET stock = stock WHERE product_id = $1", first)
        await transaction.commit()
        response = await reservation
        await deadlocks_beyond(observer, deadlocks_before)
    finally:
        await other.close()
        await observer.close()

    assert response.status_code == 201, response.text
    stocks = [(await client.get(f"/api/inventory/{pid}", headers=admin)).json()["stock"] for pid in (first, second)]
    assert stocks == [4, 3]
    assert await ledger_violations(database_url) == []
