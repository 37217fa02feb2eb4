"""The fixed data set, loaded through the services' own APIs, and the end-of-run stock audit.

200 products with features (the last 10 "hot": little stock, so checkouts compete for them), a
prepared cart per checkout user (one unit each: 80 % a plentiful product, 20 % a hot one), and a
few verified accounts for the login scenario (register → emailed code → verify, as users do).
"""

import asyncio
import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import asyncpg
import httpx

from bench.system import BenchSystem

PRODUCTS, HOT_PRODUCTS = 200, 10
PLENTY, HOT_STOCK = 100_000, 25
HOT_SHARE = 0.2
CATEGORIES = ("laptops", "monitores", "teclados", "ratones", "audio", "almacenamiento", "redes", "sillas")
BRANDS = ("ASUS", "Lenovo", "HP", "Dell", "Logitech", "Samsung", "Acer", "MSI")
LOGIN_PASSWORD = "bench-password-123"  # noqa: S105 - throwaway accounts in a throwaway database
TOKEN_LIFETIME = timedelta(hours=1)


@dataclass
class DataSet:
    product_ids: list[int]  # creation order
    initial_stock: dict[int, int]
    plentiful_ids: list[int] = field(default_factory=list)
    checkout_tokens: list[str] = field(default_factory=list)
    accounts: list[tuple[str, str]] = field(default_factory=list)


def _product(index: int, rng: random.Random) -> dict[str, Any]:
    category, brand = CATEGORIES[index % len(CATEGORIES)], BRANDS[rng.randrange(len(BRANDS))]
    hot = index >= PRODUCTS - HOT_PRODUCTS
    return {
        "name": f"{brand} {category[:-1].capitalize()} {index:03d}",
        "description": f"{category.capitalize()} de {brand}, modelo {index:03d}: ficha técnica completa, "
        f"garantía de dos años y envío en 24 horas. " * 2,
        "price": f"{rng.randrange(10, 3000)}.{rng.randrange(100):02d}",
        "features": {
            "category": category,
            "brand": brand,
            "color": rng.choice(["negro", "blanco", "gris", "azul"]),
            "warranty_years": rng.choice([1, 2, 3]),
            "tags": rng.sample(["oferta", "nuevo", "gaming", "oficina", "portátil", "inalámbrico"], 2),
        },
        "stock": HOT_STOCK if hot else PLENTY,
    }


async def _gather_limited(calls: list[Any], limit: int = 8) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def run(call: Any) -> Any:
        async with semaphore:
            return await call

    return await asyncio.gather(*(run(call) for call in calls))


async def _create_products(system: BenchSystem) -> DataSet:
    rng = random.Random(8)
    admin = {"Authorization": f"Bearer {system.tokens.admin(1)}"}
    ids, stock = [], {}
    async with httpx.AsyncClient(base_url=system.products.url, headers=admin, timeout=30) as client:
        for index in range(PRODUCTS):  # one by one: creation order decides the catalog's first page
            body = _product(index, rng)
            response = await client.post("/api/products", json=body)
            response.raise_for_status()
            product_id = int(response.json()["id"])
            ids.append(product_id)
            stock[product_id] = body["stock"]
    return DataSet(product_ids=ids, initial_stock=stock, plentiful_ids=ids[: PRODUCTS - HOT_PRODUCTS])


async def _fill_carts(system: BenchSystem, data: DataSet, carts: int) -> None:
    rng = random.Random(9)
    hot_ids = data.product_ids[PRODUCTS - HOT_PRODUCTS :]
    tokens = [system.tokens.user(500_000 + n, lifetime=TOKEN_LIFETIME) for n in range(carts)]
    async with httpx.AsyncClient(base_url=system.products.url, timeout=30) as client:

        async def fill(token: str, product_id: int) -> None:
            response = await client.post(
                "/api/cart",
                json={"product_id": product_id, "quantity": 1},
                headers={"Authorization": f"Bearer {token}"},
            )
            response.raise_for_status()

        picks = [rng.choice(hot_ids if rng.random() < HOT_SHARE else data.plentiful_ids) for _ in tokens]
        await _gather_limited([fill(token, pick) for token, pick in zip(tokens, picks, strict=True)])
    data.checkout_tokens = tokens


def _register(system: BenchSystem, n: int) -> tuple[str, str]:
    email = f"bench{n}@example.com"
    with httpx.Client(base_url=system.auth.url, timeout=60) as client:
        account = {"username": f"bench{n}", "name": f"Bench {n}", "email": email, "password": LOGIN_PASSWORD}
        created = client.post("/register", json=account)
        created.raise_for_status()
        code = system.mailbox.last_code(email, wait=60)
        client.post("/verify", json={"email": email, "code": code}).raise_for_status()
    return email, LOGIN_PASSWORD


async def load(system: BenchSystem, *, carts: int, accounts: int) -> DataSet:
    """Products, carts and verified accounts, all through the public APIs."""
    data = await _create_products(system)
    await _fill_carts(system, data, carts)
    data.accounts = list(await asyncio.gather(*(asyncio.to_thread(_register, system, n) for n in range(accounts))))
    return data


AUDIT_SQL = {
    "committed_per_product": """
        SELECT (item->>'product_id')::bigint AS product_id, sum((item->>'quantity')::bigint) AS units
        FROM inventory.reservations AS r, jsonb_array_elements(r.items) AS item
        WHERE r.status = 'committed' GROUP BY 1""",
    "sold_per_product": """
        SELECT i.product_id, sum(i.quantity) AS units FROM products.order_items AS i
        JOIN products.orders AS o ON o.id = i.order_id
        WHERE o.status IN ('placed', 'shipped', 'delivered') GROUP BY 1""",
    "negative_stock": "SELECT count(*) FROM inventory.inventory WHERE stock < 0",
    "ledger_mismatch": """
        SELECT count(*) FROM inventory.inventory AS s
        LEFT JOIN (SELECT product_id, sum(delta) AS total FROM inventory.movements GROUP BY 1) AS m
          ON m.product_id = s.product_id
        WHERE s.stock <> coalesce(m.total, 0)""",
    "completed_without_reservation": """
        SELECT count(*) FROM products.orders AS o
        LEFT JOIN inventory.reservations AS r ON r.reference = o.reservation_reference
        WHERE o.status IN ('placed', 'shipped', 'delivered') AND r.status IS DISTINCT FROM 'committed'""",
}


async def order_counts(dsn: str) -> dict[str, int]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch("SELECT status, count(*) FROM products.orders GROUP BY status")
    finally:
        await connection.close()
    return {row["status"]: row["count"] for row in rows}


async def audit(dsn: str, initial_stock: dict[int, int]) -> dict[str, int]:
    """Oversold units (reserved or sold beyond the initial stock) and the ledger invariant, read in SQL."""
    connection = await asyncpg.connect(dsn)
    try:
        committed = dict(await connection.fetch(AUDIT_SQL["committed_per_product"]))
        sold = dict(await connection.fetch(AUDIT_SQL["sold_per_product"]))
        checks = {
            name: int(await connection.fetchval(AUDIT_SQL[name]))
            for name in ("negative_stock", "ledger_mismatch", "completed_without_reservation")
        }
    finally:
        await connection.close()

    def over(taken: dict[int, int]) -> int:
        return sum(max(0, int(units) - initial_stock.get(pid, 0)) for pid, units in taken.items())

    return {
        "oversold_units": over(committed) + over(sold),
        "reserved_over_stock": over(committed),
        "sold_over_stock": over(sold),
        **checks,
    }
