"""The catalog page's floor: bare Starlette + asyncpg, no service hop, no ORM, no validation layer.

It answers `GET /api/products?page=&page_size=` with the same JSON page as the products service
(`{items, total, page, page_size}`, each item with `stock` and `stock_updated_at`), from the same
SQL the service runs: the products joined with Products' stock read model, the total as a window
count, one statement. Run under uvicorn with as many workers as the
products service (bench/system.py); `FLOOR_DATABASE_DSN` names the database.
"""

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PRODUCTS_SQL = """
SELECT p.id, p.name, p.description, p.price, p.image_url, p.features, p.created_at, p.updated_at,
       s.stock, s.updated_at AS stock_updated_at, count(*) OVER () AS total
FROM products.products p
LEFT OUTER JOIN products.stock_levels s ON p.id = s.product_id
WHERE p.archived_at IS NULL
ORDER BY p.created_at DESC, p.id DESC
LIMIT $1 OFFSET $2
"""


def _instant(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status_code=status, media_type="application/json")


def _int_param(request: Request, name: str, default: int, high: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= high else None


async def list_products(request: Request) -> Response:
    page, page_size = _int_param(request, "page", 1, 100_000), _int_param(request, "page_size", 20, 100)
    if page is None or page_size is None:
        return _json({"error": {"code": "validation_error", "message": "Invalid page or page_size"}}, 422)
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection:
        rows = await connection.fetch(PRODUCTS_SQL, page_size, (page - 1) * page_size)
    items = [
        {
            "id": row["id"],
            "name": row["name"],
            "description": row["description"],
            "price": str(row["price"]),
            "image_url": row["image_url"],
            "features": row["features"],
            "stock": row["stock"] or 0,
            "stock_updated_at": _instant(row["stock_updated_at"]) if row["stock_updated_at"] else None,
            "created_at": _instant(row["created_at"]),
            "updated_at": _instant(row["updated_at"]),
        }
        for row in rows
    ]
    total = rows[0]["total"] if rows else 0
    return _json({"items": items, "total": total, "page": page, "page_size": page_size})


async def ready(request: Request) -> Response:
    async with request.app.state.pool.acquire() as connection:
        await connection.fetchval("SELECT 1")
    return _json({"status": "ready"})


async def _init_connection(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    size = int(os.environ.get("FLOOR_POOL_SIZE", "10"))
    dsn = os.environ["FLOOR_DATABASE_DSN"]
    app.state.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=size, init=_init_connection)
    try:
        yield
    finally:
        await app.state.pool.close()


app = Starlette(routes=[Route("/api/products", list_products), Route("/ready", ready)], lifespan=lifespan)
