"""The fixed data set, loaded through the services' own APIs, and the end-of-run stock audit.

200 products with features (the last 10 "hot": little stock, so checkouts compete for them), a
prepared cart per checkout user (one unit each: 80 % a plentiful product, 20 % a hot one), and a
few verified accounts for the login scenario (register → emailed code → verify, as users do).
"""

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx

from bench.system import BenchSystem

PRODUCTS, HOT_PRODUCTS = 200, 10
PLENTY, HOT_STOCK = 100_000, 25
HOT_SHARE = 0.2
CATEGORIES = ("laptops", "monitores", "teclados", "ratones", "audio", "almacenamiento", "redes", "sillas")
BRANDS = ("ASUS", "Lenovo", "HP", "Dell", "Logitech", "Samsung", "Acer", "MSI")
HOT_PAGE = "/api/products?page_size=20"
SORTS = ("-created_at", "price", "-price", "name", "stock")
SEARCHES = ("asus", "laptop", "monitor", "Lenovo teclado", "garantía", "ratón", "lap", "modelo 042")
PRICE_RANGES = ((None, "100"), ("100", "500"), ("500", "1500"), ("2000", None))
MIX_PRODUCT_PAGES = 20
READ_MODEL_WAIT = 10.0  # seconds the audit waits for the outbox to drain into the read model
LOGIN_PASSWORD = "bench-password-123"  # noqa: S105 - throwaway accounts in a throwaway database
TOKEN_LIFETIME = timedelta(hours=1)


@dataclass
class DataSet:
    product_ids: list[int]  # creation order
    initial_stock: dict[int, int]
    plentiful_ids: list[int] = field(default_factory=list)
    checkout_tokens: list[str] = field(default_factory=list)
    busy_tokens: list[str] = field(default_factory=list)  # carts for the checkouts beside the catalog mix
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


def probe_id(data: DataSet) -> int:
    """The product whose stock the freshness probe sets; no cart holds it, so only the probe changes it."""
    return data.product_ids[0]


async def _fill_carts(system: BenchSystem, data: DataSet, carts: int, *, first_user: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    hot_ids = data.product_ids[PRODUCTS - HOT_PRODUCTS :]
    plentiful = [product_id for product_id in data.plentiful_ids if product_id != probe_id(data)]
    tokens = [system.tokens.user(first_user + n, lifetime=TOKEN_LIFETIME) for n in range(carts)]
    async with httpx.AsyncClient(base_url=system.products.url, timeout=30) as client:

        async def fill(token: str, product_id: int) -> None:
            response = await client.post(
                "/api/cart",
                json={"product_id": product_id, "quantity": 1},
                headers={"Authorization": f"Bearer {token}"},
            )
            response.raise_for_status()

        picks = [rng.choice(hot_ids if rng.random() < HOT_SHARE else plentiful) for _ in tokens]
        await _gather_limited([fill(token, pick) for token, pick in zip(tokens, picks, strict=True)])
    return tokens


def _register(system: BenchSystem, n: int) -> tuple[str, str]:
    email = f"bench{n}@example.com"
    with httpx.Client(base_url=system.auth.url, timeout=60) as client:
        account = {"username": f"bench{n}", "name": f"Bench {n}", "email": email, "password": LOGIN_PASSWORD}
        created = client.post("/register", json=account)
        created.raise_for_status()
        code = system.mailbox.last_code(email, wait=60)
        client.post("/verify", json={"email": email, "code": code}).raise_for_status()
    return email, LOGIN_PASSWORD


async def load(system: BenchSystem, *, carts: int, accounts: int, busy_carts: int = 0) -> DataSet:
    """Products, carts (two sets of users) and verified accounts, all through the public APIs."""
    data = await _create_products(system)
    data.checkout_tokens = await _fill_carts(system, data, carts, first_user=500_000, seed=9)
    data.busy_tokens = await _fill_carts(system, data, busy_carts, first_user=700_000, seed=10)
    data.accounts = list(await asyncio.gather(*(asyncio.to_thread(_register, system, n) for n in range(accounts))))
    return data


def catalog_mix(data: DataSet) -> list[str]:
    """The catalog mix: every page, every sort, `in_stock`, searches, feature filters, price ranges, products."""

    def listing(**params: str | None) -> str:
        return "/api/products?" + urlencode({name: value for name, value in params.items() if value is not None})

    pages = -(-PRODUCTS // 20)
    paths = [HOT_PAGE] + [listing(page=str(page), page_size="20") for page in range(2, pages + 1)]
    paths += [listing(sort=sort) for sort in SORTS] + [listing(sort=sort, page="3") for sort in SORTS]
    paths += [listing(in_stock="true"), listing(in_stock="true", sort="stock", page="2")]
    paths += [listing(q=words) for words in SEARCHES] + [listing(q="asus", sort="price", in_stock="true")]
    paths += [listing(**{"feature.brand": brand}) for brand in BRANDS[:4]]
    paths += [listing(**{"feature.category": category}) for category in CATEGORIES[:4]]
    paths += [listing(**{"feature.category": "laptops", "feature.brand": "HP", "sort": "-price"})]
    paths += [listing(**{"feature.warranty_years": "2", "page_size": "50"})]
    paths += [listing(min_price=low, max_price=high, sort="price") for low, high in PRICE_RANGES]
    step = max(1, len(data.product_ids) // MIX_PRODUCT_PAGES)
    paths += [f"/api/products/{product_id}" for product_id in data.product_ids[::step][:MIX_PRODUCT_PAGES]]
    return paths


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
    # Products' read model against Inventory, stock and version, every product either side knows.
    "read_model_mismatch": """
        SELECT count(*) FROM inventory.inventory AS i
        FULL OUTER JOIN products.stock_levels AS s ON s.product_id = i.product_id
        WHERE s.stock IS DISTINCT FROM i.stock OR s.version IS DISTINCT FROM i.version""",
}


async def order_counts(dsn: str) -> dict[str, int]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch("SELECT status, count(*) FROM products.orders GROUP BY status")
    finally:
        await connection.close()
    return {row["status"]: row["count"] for row in rows}


async def audit(dsn: str, initial_stock: dict[int, int]) -> dict[str, Any]:
    """Oversold units (reserved or sold beyond the initial stock), the ledger invariant and the read model, in SQL.

    The read model may trail Inventory by the events still in the outbox or the stream: the check
    waits up to READ_MODEL_WAIT seconds for it to agree, and says how long it waited.
    """
    connection = await asyncpg.connect(dsn)
    try:
        started = time.monotonic()
        while True:
            read_model = int(await connection.fetchval(AUDIT_SQL["read_model_mismatch"]))
            if read_model == 0 or time.monotonic() - started > READ_MODEL_WAIT:
                break
            await asyncio.sleep(0.2)
        waited = round(time.monotonic() - started, 2)
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
        "read_model_mismatch": read_model,
        "read_model_wait_s": waited,
    }
