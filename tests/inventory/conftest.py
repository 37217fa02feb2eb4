"""Shared fixtures of the inventory tests: the app in process, headers per role, SQL checks."""

import itertools
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import pytest

from microshop.common.testing import TokenFactory, app_client, bearer, make_settings
from microshop.inventory.app import create_app
from microshop.inventory.config import InventorySettings

_product_ids = itertools.count(10_000)

INVARIANT_SQL = """
SELECT i.product_id, i.stock, coalesce(m.total, 0) AS ledger
FROM inventory.inventory i
LEFT JOIN (SELECT product_id, sum(delta) AS total FROM inventory.movements GROUP BY product_id) m
  ON m.product_id = i.product_id
WHERE i.stock <> coalesce(m.total, 0) OR i.stock < 0
"""


def plain_dsn(database_url: str) -> str:
    """The fixture's SQLAlchemy URL as a DSN asyncpg accepts."""
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def fetch(database_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(plain_dsn(database_url))
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def ledger_violations(database_url: str) -> list[asyncpg.Record]:
    """Products whose stock is not the sum of their movements, or is negative."""
    return await fetch(database_url, INVARIANT_SQL)


@pytest.fixture
def product_id() -> int:
    """A product id no other test in the session uses."""
    return next(_product_ids)


@pytest.fixture
def new_product_id() -> Callable[[], int]:
    return lambda: next(_product_ids)


@pytest.fixture(scope="module")
async def client(database_url: str, tokens: TokenFactory) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(InventorySettings, database_url=database_url, jwt_public_key=tokens.public_pem)
    async with app_client(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def admin(tokens: TokenFactory) -> dict[str, str]:
    return bearer(tokens.admin(1))


@pytest.fixture(scope="module")
def user(tokens: TokenFactory) -> dict[str, str]:
    return bearer(tokens.user(2))


@pytest.fixture(scope="module")
def service(tokens: TokenFactory) -> dict[str, str]:
    return bearer(tokens.service("products-service"))
