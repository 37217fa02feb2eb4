"""SQL of the catalog."""

import json
import math
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, String, and_, func, literal, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from microshop.common.pagination import PageParams, paginate_rows
from microshop.products.catalog.models import SEARCH_CONFIG, Product
from microshop.products.stock.models import StockLevel

_WORD = re.compile(r"\w+")
_CONFIG: ColumnElement[Any] = literal_column(f"'{SEARCH_CONFIG}'::regconfig")
MAX_SEARCH_WORDS = 10

_IN_STOCK = func.coalesce(StockLevel.stock, 0)

ORDERINGS: dict[str, tuple[ColumnElement[Any], ...]] = {
    # Availability first: the most units first, sold-out products last.
    "stock": (_IN_STOCK.desc(), Product.id.asc()),
    "price": (Product.price.asc(), Product.id.asc()),
    "-price": (Product.price.desc(), Product.id.desc()),
    "name": (Product.name.asc(), Product.id.asc()),
    "-created_at": (Product.created_at.desc(), Product.id.desc()),
}


def search_condition(q: str) -> ColumnElement[bool]:
    """Full-text match, or every word as a prefix ("Lap" finds "Laptop"); both use the GIN index."""
    conditions = [Product.search.op("@@")(func.websearch_to_tsquery(_CONFIG, q))]
    words = _WORD.findall(q.lower())[:MAX_SEARCH_WORDS]
    if words:
        prefixes = " & ".join(f"{word}:*" for word in words)
        conditions.append(Product.search.op("@@")(func.to_tsquery(_CONFIG, prefixes)))
    else:  # no word characters at all: a plain substring match on the name
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(Product.name.ilike(f"%{escaped}%", escape="\\"))
    return or_(*conditions)


def _feature_candidates(value: str) -> list[Any]:
    """`16` matches the string "16" and the number 16; either may also sit inside an array."""
    candidates: list[Any] = [value]
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if isinstance(parsed, bool | int) or (isinstance(parsed, float) and math.isfinite(parsed)):
        candidates.append(parsed)
    return candidates + [[candidate] for candidate in candidates]


def feature_condition(key: str, values: Iterable[str]) -> ColumnElement[bool]:
    """JSONB containment (`features @> {...}`), served by the GIN index."""
    return or_(
        *(Product.features.contains({key: candidate}) for value in values for candidate in _feature_candidates(value))
    )


def listing_conditions(
    *,
    q: str | None,
    min_price: Decimal | None,
    max_price: Decimal | None,
    in_stock: bool,
    features: dict[str, list[str]],
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Product.archived_at.is_(None)]
    if in_stock:
        conditions.append(StockLevel.stock > 0)
    if q:
        conditions.append(search_condition(q))
    if min_price is not None:
        conditions.append(Product.price >= min_price)
    if max_price is not None:
        conditions.append(Product.price <= max_price)
    conditions.extend(feature_condition(key, values) for key, values in features.items())
    return conditions


# What a listing shows of a product, its stock from the read model beside it: plain rows, no ORM
# identity map (a read builds its answer straight from them).
LISTED = select(
    Product.id,
    Product.name,
    Product.description,
    Product.price,
    Product.image_url,
    Product.features,
    _IN_STOCK.label("stock"),
    StockLevel.updated_at.label("stock_updated_at"),
    Product.created_at,
    Product.updated_at,
).outerjoin(StockLevel, StockLevel.product_id == Product.id)


@cache
def listed(currency: str) -> Select[Any]:
    """LISTED with the shop's currency as a constant column: each row is a whole wire shape.

    Built once per currency (a service has one), so a request adds no statement building.
    """
    return LISTED.add_columns(literal(currency, String).label("currency"))


async def list_page(
    session: AsyncSession, *, conditions: Sequence[ColumnElement[bool]], sort: str, page: PageParams, currency: str
) -> tuple[list[Row[Any]], int]:
    """One page and the total of matching products, each with its stock, in one statement."""
    return await paginate_rows(session, listed(currency).where(and_(*conditions)).order_by(*ORDERINGS[sort]), page)


async def get_listed(session: AsyncSession, product_id: int, *, currency: str) -> Row[Any] | None:
    """One listed product with its stock, as a listing shows it."""
    result = await session.execute(listed(currency).where(Product.id == product_id, Product.archived_at.is_(None)))
    return result.first()


def with_stock(statement: Select[Product]) -> Select[Product]:
    """The products of `statement` joined with their read-model stock (loaded into `stock_level`)."""
    return statement.outerjoin(Product.stock_level).options(contains_eager(Product.stock_level))


async def get(
    session: AsyncSession, product_id: int, *, include_archived: bool = False, for_update: bool = False
) -> Product | None:
    statement = select(Product).where(Product.id == product_id)
    if not for_update:  # FOR UPDATE cannot lock the outer-joined side; writers read stock apart
        statement = with_stock(statement)
    if not include_archived:
        statement = statement.where(Product.archived_at.is_(None))
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def add(session: AsyncSession, product: Product) -> Product:
    session.add(product)
    await session.flush()
    return product
