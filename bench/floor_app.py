"""The catalog's floor: bare Starlette + asyncpg, the service's own SQL, no ORM, no validation layer.

It answers a fixed list of catalog paths (`FLOOR_PATHS_FILE`, one a line: listings with any
page, sort, search, price range or feature filter, and product pages `/api/products/{id}`). At
startup each worker compiles every path's statement once with the products service's own code —
`ProductQuery` and `parse_feature_filters` read the query string, `listing` gives the shape and
values, `listing_page(shape)` the paged statement the service runs (the window count, offset and
limit as `common/pagination.py` adds them); a product page is `LISTED_PRODUCT` —
with the asyncpg dialect, and keeps the SQL text and its positional arguments. Per request it
only runs that SQL on a pooled asyncpg connection and serializes the rows into the service's JSON
(`{items, total, page, page_size}`, or one product). A path not in the list answers 404.

Run under uvicorn with as many workers as the products service (bench/system.py);
`FLOOR_DATABASE_DSN` names the database.
"""

import json
import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

import asyncpg
from sqlalchemy import Select
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from microshop.common.pagination import PAGE_LIMIT, PAGE_OFFSET
from microshop.products.catalog.repository import LISTED_PRODUCT, listing, listing_page
from microshop.products.catalog.schemas import FEATURE_PREFIX, ProductQuery, parse_feature_filters
from microshop.products.config import ProductsSettings

LISTING = "/api/products"
# The bench's Products runs with the default SHOP_CURRENCY.
CURRENCY = ProductsSettings.model_fields["shop_currency"].default
_DIALECT = asyncpg_dialect()


@dataclass(frozen=True)
class Compiled:
    sql: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Statement:
    """One path's SQL; a listing also keeps its page and the count for a page past the end."""

    query: Compiled
    page: int = 0  # 0: a product page
    page_size: int = 0
    count: Compiled | None = None


def _compile(statement: Select[Any], values: dict[str, Any]) -> Compiled:
    """SQL text and positional arguments as the service's asyncpg dialect sends them."""
    compiled = statement.compile(dialect=_DIALECT)
    params = compiled.construct_params(values)
    # What the dialect applies to each value before asyncpg sends it (JSONB: the JSON text).
    processors: Mapping[str, Callable[[Any], Any]] = cast(Any, compiled)._bind_processors
    names = compiled.positiontup or []
    args = tuple(processors[name](params[name]) if name in processors else params[name] for name in names)
    return Compiled(compiled.string, args)


def statement_for(path: str) -> Statement:
    """A catalog path → its statement, built by the service's own functions."""
    parts = urlsplit(path)
    if parts.path != LISTING:
        product_id = int(parts.path.removeprefix(LISTING + "/"))
        return Statement(_compile(LISTED_PRODUCT, {"product_id": product_id, "currency": CURRENCY}))
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    features = parse_feature_filters(pairs)
    query = ProductQuery.model_validate({name: value for name, value in pairs if not name.startswith(FEATURE_PREFIX)})
    shape, values = listing(query, features)
    values["currency"] = CURRENCY
    statement = listing_page(shape)
    page = {**values, PAGE_OFFSET: query.offset, PAGE_LIMIT: query.page_size}
    return Statement(_compile(statement.page, page), query.page, query.page_size, _compile(statement.total, values))


def compile_paths(paths: Iterable[str]) -> dict[str, Statement]:
    return {path: statement_for(path) for path in paths}


def _listed_paths() -> dict[str, Statement]:
    """The paths of `FLOOR_PATHS_FILE`, compiled (once, at startup)."""
    with open(os.environ["FLOOR_PATHS_FILE"], encoding="utf-8") as paths:
        return compile_paths(line.strip() for line in paths if line.strip())


def _instant(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status_code=status, media_type="application/json")


def _item(row: asyncpg.Record) -> dict[str, Any]:
    price: Decimal = row["price"]
    updated = row["stock_updated_at"]
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "price": f"{price.quantize(Decimal('0.01'))}",
        "currency": row["currency"],
        "image_url": row["image_url"],
        "features": row["features"],
        "stock": row["stock"],
        "stock_updated_at": _instant(updated) if updated is not None else None,
        "created_at": _instant(row["created_at"]),
        "updated_at": _instant(row["updated_at"]),
    }


def _not_listed(path: str) -> Response:
    return _json({"error": {"code": "not_found", "message": f"{path} is not in the floor's list"}}, 404)


async def catalog(request: Request) -> Response:
    query = request.url.query
    path = f"{request.url.path}?{query}" if query else request.url.path
    statement: Statement | None = request.app.state.statements.get(path)
    if statement is None:
        return _not_listed(path)
    async with request.app.state.pool.acquire() as connection:
        rows = await connection.fetch(statement.query.sql, *statement.query.args)
        if statement.count is None:  # a product page
            if not rows:
                return _json({"error": {"code": "product_not_found", "message": "Product not found"}}, 404)
            return _json(_item(rows[0]))
        if rows:
            total = rows[0]["total_rows"]
        elif statement.page > 1:  # past the end: the count alone, as paginate_rows does
            total = await connection.fetchval(statement.count.sql, *statement.count.args)
        else:
            total = 0
    items = [_item(row) for row in rows]
    return _json({"items": items, "total": total, "page": statement.page, "page_size": statement.page_size})


async def ready(request: Request) -> Response:
    async with request.app.state.pool.acquire() as connection:
        await connection.fetchval("SELECT 1")
    return _json({"status": "ready"})


async def _init_connection(connection: asyncpg.Connection) -> None:
    # Arguments arrive as JSON text (the dialect's bind processors made them); results are parsed.
    await connection.set_type_codec("jsonb", encoder=str, decoder=json.loads, schema="pg_catalog")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.statements = _listed_paths()
    size = int(os.environ.get("FLOOR_POOL_SIZE", "10"))
    dsn = os.environ["FLOOR_DATABASE_DSN"]
    app.state.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=size, init=_init_connection)
    try:
        yield
    finally:
        await app.state.pool.close()


app = Starlette(
    routes=[Route(LISTING, catalog), Route(LISTING + "/{product_id:int}", catalog), Route("/ready", ready)],
    lifespan=lifespan,
)
