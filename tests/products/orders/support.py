"""The cart and order tests' shop: Products in process, a real Inventory process, one database per package.

The fixtures are defined here, not in a conftest, because both tests/products/cart and
tests/products/orders use them, each package with its own instances.

Products talks to a real Inventory over HTTP. The one seam is the service token: instead of
asking Auth's client-credentials grant, Products gets a token signed by the test key, which is
what Auth would issue (`role=service`).
"""

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, update

from microshop.devtools.embedded_db import free_port
from microshop.products.app import create_app
from microshop.products.catalog.models import Product
from microshop.products.config import ProductsSettings
from tests.products.support import FixedServiceTokens
from tests.support.apps import app_client, make_settings
from tests.support.postgres import TestPostgres, asyncpg_dsn, unique_name
from tests.support.processes import ServiceProcess
from tests.support.tokens import TokenFactory, bearer

_user_ids = itertools.count(50_000)

# A delivery address and a ship move's body, as the order tests send them.
ADDRESS = {
    "name": "Ana García",
    "phone": "+34 600 000 000",
    "line1": "Calle Mayor 1",
    "city": "Madrid",
    "postal_code": "28013",
    "country": "ES",
}
SHIP = {"carrier": "Correos", "tracking_number": "PK123456789ES"}


@dataclass
class Shop:
    """Products in process (`client`), a real Inventory process, and helpers to arrange a scene."""

    app: FastAPI
    client: httpx.AsyncClient
    inventory_url: str
    tokens: TokenFactory
    database_url: str

    def user(self, user_id: int | None = None) -> dict[str, str]:
        """Headers of a new user (or the given one)."""
        return bearer(self.tokens.user(user_id if user_id is not None else next(_user_ids)))

    def admin(self) -> dict[str, str]:
        return bearer(self.tokens.admin(next(_user_ids)))

    async def create_product(
        self, *, name: str = "Laptop", price: str = "1500.00", stock: int | None = 10, archived: bool = False
    ) -> int:
        """A catalog row (and its stock at Inventory, unless `stock` is None)."""
        async with self.app.state.sessionmaker.begin() as session:
            product = Product(name=name, price=Decimal(price), features={})
            session.add(product)
            await session.flush()
            product_id = product.id
        if stock is not None:
            await self.set_stock(product_id, stock)
        if archived:
            await self.archive(product_id)
        return product_id

    async def archive(self, product_id: int) -> None:
        await self._update_product(product_id, archived_at=func.now())

    async def set_price(self, product_id: int, price: str) -> None:
        await self._update_product(product_id, price=Decimal(price))

    async def _update_product(self, product_id: int, **values: Any) -> None:
        async with self.app.state.sessionmaker.begin() as session:
            await session.execute(update(Product).where(Product.id == product_id).values(**values))

    async def set_stock(self, product_id: int, stock: int) -> None:
        """Set the stock at Inventory, then wait until Products has heard of it (its read model follows events)."""
        async with httpx.AsyncClient(base_url=self.inventory_url, headers=self.admin()) as inventory:
            response = await inventory.post("/api/inventory", json={"product_id": product_id, "stock": stock})
            assert response.status_code == 200, response.text
            version = (await inventory.get(f"/api/inventory/{product_id}")).json()["version"]
        await self.until_products_has(product_id, version=version)

    async def until_products_has(self, product_id: int, *, version: int, timeout: float = 10) -> None:
        """Wait until Products' stock read model holds this version of the product's stock (or a newer one)."""
        deadline = time.monotonic() + timeout
        while True:
            rows = await self.fetch("SELECT version FROM products.stock_levels WHERE product_id = $1", product_id)
            if rows and rows[0]["version"] >= version:
                return
            assert time.monotonic() < deadline, f"Products never saw version {version} of product {product_id}"
            await asyncio.sleep(0.02)

    async def stock(self, product_id: int) -> int:
        rows = await self.fetch("SELECT stock FROM inventory.inventory WHERE product_id = $1", product_id)
        return rows[0]["stock"] if rows else 0

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(asyncpg_dsn(self.database_url))
        try:
            return await connection.fetch(sql, *args)
        finally:
            await connection.close()

    async def movements(self, reference: str) -> list[asyncpg.Record]:
        """Inventory's ledger rows for one reservation reference."""
        return await self.fetch(
            "SELECT product_id, delta, reason FROM inventory.movements WHERE reference = $1 ORDER BY id", reference
        )

    async def order_row(self, order_id: int) -> asyncpg.Record:
        rows = await self.fetch("SELECT * FROM products.orders WHERE id = $1", order_id)
        return rows[0]

    @asynccontextmanager
    async def inventory_down(self) -> AsyncIterator[httpx.AsyncClient]:
        """Another Products on the same database whose Inventory is unreachable."""
        settings = products_settings(self.database_url, self.tokens, dead_url(), http_retries=0)
        async with products_client(settings, self.tokens) as (_, client):
            yield client

    async def buy(
        self, user: dict[str, str], product_id: int, quantity: int = 1, *, choices: dict[str, Any] | None = None
    ) -> int:
        """Put the product in the user's cart and check out (with `choices` as the body); the order's id."""
        await self.add(user, product_id, quantity)
        response = await self.client.post("/api/cart/checkout", json=choices, headers=user)
        assert response.status_code in (201, 409), response.text
        body = response.json()
        return body["order_id"] if response.status_code == 201 else body["error"]["details"]["order_id"]

    async def shipping_method(self, **fields: Any) -> dict[str, Any]:
        """A new shipping method through the admin API (a delivery at 4.90 unless told otherwise)."""
        body = {"name": "Courier", "price": "4.90", "pickup": False} | fields
        response = await self.client.post("/api/shipping-methods", json=body, headers=self.admin())
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def admin_action(self, order_id: int, action: str, body: dict[str, Any] | None = None) -> httpx.Response:
        """POST /api/admin/orders/{id}/{action} as an admin."""
        return await self.client.post(f"/api/admin/orders/{order_id}/{action}", json=body, headers=self.admin())

    async def outbox_types(self, order_id: int) -> list[str]:
        """The types of the events recorded in Products' outbox for one order, oldest first."""
        rows = await self.fetch("SELECT type FROM products.outbox WHERE subject = $1 ORDER BY seq", str(order_id))
        return [row["type"] for row in rows]

    async def add(self, headers: dict[str, str], product_id: int, quantity: int = 1) -> httpx.Response:
        response = await self.client.post(
            "/api/cart", json={"product_id": product_id, "quantity": quantity}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response


def products_settings(
    database_url: str, tokens: TokenFactory, inventory_url: str, **overrides: Any
) -> ProductsSettings:
    overrides.setdefault("recovery_interval_seconds", 3600)  # tests run the recovery pass themselves
    return make_settings(
        ProductsSettings,
        database_url=database_url,
        jwt_public_key=tokens.public_pem,
        inventory_url=inventory_url,
        **overrides,
    )


@asynccontextmanager
async def products_client(
    settings: ProductsSettings, tokens: TokenFactory
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """Products in process with its lifespan running, using test-key service tokens for Inventory."""
    app = create_app(settings)
    async with app_client(app) as client:
        app.state.inventory.tokens = FixedServiceTokens(tokens)
        yield app, client


def dead_url() -> str:
    """An address nothing listens on: Inventory is down."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="package")
async def database_url(test_postgres: TestPostgres, template_database: str) -> AsyncIterator[str]:
    """One fresh database per test package (not per module), so one Inventory process serves the package.

    The tests make their own users and products, so modules sharing it do not see each other's rows.
    """
    name = unique_name("microshop_orders")
    url = await test_postgres.create_database(name, template=template_database)
    yield url
    await test_postgres.drop_database(name)


@pytest.fixture(scope="package")
def inventory_service(
    database_url: str, tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    """A real Inventory process on this package's database."""
    log_dir: Path = tmp_path_factory.mktemp("inventory-logs")
    env = {"DATABASE_URL": database_url, "JWT_PUBLIC_KEY": tokens.public_pem}
    with ServiceProcess.service("inventory", env=env, log_dir=log_dir) as process:
        yield process


@pytest.fixture(scope="package")
async def shop(database_url: str, tokens: TokenFactory, inventory_service: ServiceProcess) -> AsyncIterator[Shop]:
    settings = products_settings(database_url, tokens, inventory_service.url)
    async with products_client(settings, tokens) as (app, client):
        yield Shop(app, client, inventory_service.url, tokens, database_url)
