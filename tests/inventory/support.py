"""SQL checks of the inventory tests: rows read straight from the database, the stock-ledger invariant."""

from typing import Any

import asyncpg

from tests.support.postgres import asyncpg_dsn

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
