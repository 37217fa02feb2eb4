"""SQL checks of the inventory tests: rows read straight from the database, the stock-ledger invariant."""

import json
from typing import Any

import asyncpg

from tests.support.postgres import asyncpg_dsn

STOCK = "inventory.stock.changed"

INVARIANT_SQL = """
SELECT i.product_id, i.stock, coalesce(m.total, 0) AS ledger
FROM inventory.inventory i
LEFT JOIN (SELECT product_id, sum(delta) AS total FROM inventory.movements GROUP BY product_id) m
  ON m.product_id = i.product_id
WHERE i.stock <> coalesce(m.total, 0) OR i.stock < 0
"""


async def fetch(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def ledger_violations(database_url: str) -> list[asyncpg.Record]:
    """Products whose stock is not the sum of their movements, or is negative."""
    return await fetch(database_url, INVARIANT_SQL)


async def stock_events(database_url: str, product_id: int) -> list[dict[str, Any]]:
    """The events recorded in Inventory's outbox about one product, oldest first (their envelopes)."""
    rows = await fetch(
        database_url, "SELECT payload FROM inventory.outbox WHERE subject = $1 ORDER BY seq", f"product:{product_id}"
    )
    return [json.loads(row["payload"]) for row in rows]


async def stock_changes(database_url: str, product_id: int) -> list[tuple[int, int]]:
    """(stock, version) of each inventory.stock.changed event about one product, oldest first."""
    changes = []
    for event in await stock_events(database_url, product_id):
        assert (event["type"], event["source"]) == ("inventory.stock.changed", "inventory")
        assert event["data"]["product_id"] == product_id
        changes.append((event["data"]["stock"], event["data"]["version"]))
    return changes


async def stock_row(database_url: str, product_id: int) -> tuple[int, int] | None:
    """(stock, version) of one product's row, or None."""
    rows = await fetch(database_url, "SELECT stock, version FROM inventory.inventory WHERE product_id = $1", product_id)
    return (rows[0]["stock"], rows[0]["version"]) if rows else None


async def event_violations(database_url: str) -> list[str]:
    """Products whose stock.changed events skip, repeat or reorder a version, are not one per movement,
    or do not end at the row's stock and version (a row with no event is at version 1)."""
    events: dict[int, list[tuple[int, int]]] = {}
    for row in await fetch(database_url, "SELECT payload FROM inventory.outbox WHERE type = $1 ORDER BY seq", STOCK):
        data = json.loads(row["payload"])["data"]
        events.setdefault(data["product_id"], []).append((data["stock"], data["version"]))
    moved = dict(await fetch(database_url, "SELECT product_id, count(*) FROM inventory.movements GROUP BY 1"))
    violations = []
    for product_id, stock, version in await fetch(
        database_url, "SELECT product_id, stock, version FROM inventory.inventory"
    ):
        changes = events.get(product_id, [])
        last = changes[-1] if changes else (stock, 1)
        versions = [v for _, v in changes]
        if versions != list(range(version - len(versions) + 1, version + 1)) or last != (stock, version):
            violations.append(f"product {product_id} at {(stock, version)}: events {changes}")
        if len(changes) != moved.get(product_id, 0):
            violations.append(f"product {product_id}: {len(changes)} events, {moved.get(product_id, 0)} movements")
    return violations
