"""SQL of the catalog."""

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import ColumnElement, Row, Select, String, and_, bindparam, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from microshop.common.db import ReadDatabase
from microshop.common.pagination import PageParams, Paginated, fetch_page, paginated
from microshop.products.catalog.models import SEARCH_CONFIG, Product
from microshop.products.catalog.schemas import ProductQuery
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


@dataclass(frozen=True)
class ListingShape:
    """What a listing's statement depends on; the values of its filters are bound apart (`listing`)."""

    sort: str
    in_stock: bool = False
    search: Literal["words", "substring"] | None = None
    min_price: bool = False
    max_price: bool = False
    features: tuple[int, ...] = ()  # per feature filter, how many JSON documents it tries


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


def listing(query: ProductQuery, features: dict[str, list[str]]) -> tuple[ListingShape, dict[str, Any]]:
    """A listing query's shape and the values its statement (`listing_page`) binds."""
    q, min_price, max_price = query.q, query.min_price, query.max_price
    values: dict[str, Any] = {}
    search: Literal["words", "substring"] | None = None
    if q:
        values["q"] = q
        words = _WORD.findall(q.lower())[:MAX_SEARCH_WORDS]
        if words:  # every word as a prefix: "Lap" finds "Laptop"
            search, values["q_prefixes"] = "words", " & ".join(f"{word}:*" for word in words)
        else:  # no word characters at all: a plain substring match on the name
            escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            search, values["q_substring"] = "substring", f"%{escaped}%"
    if min_price is not None:
        values["min_price"] = min_price
    if max_price is not None:
        values["max_price"] = max_price
    documents_per_filter = []
    for index, (key, accepted) in enumerate(features.items()):
        documents = [{key: candidate} for value in accepted for candidate in _feature_candidates(value)]
        values.update((f"feature_{index}_{number}", document) for number, document in enumerate(documents))
        documents_per_filter.append(len(documents))
    shape = ListingShape(
        query.sort, query.in_stock, search, min_price is not None, max_price is not None, tuple(documents_per_filter)
    )
    return shape, values


def _search_condition(kind: Literal["words", "substring"]) -> ColumnElement[bool]:
    """Full-text match, or else the words as prefixes or the text as a substring; both use the GIN index."""
    full_text = Product.search.op("@@")(func.websearch_to_tsquery(_CONFIG, bindparam("q", type_=String)))
    if kind == "words":
        return or_(full_text, Product.search.op("@@")(func.to_tsquery(_CONFIG, bindparam("q_prefixes", type_=String))))
    return or_(full_text, Product.name.ilike(bindparam("q_substring", type_=String), escape="\\"))


def _conditions(shape: ListingShape) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Product.archived_at.is_(None)]
    if shape.in_stock:
        conditions.append(StockLevel.stock > 0)
    if shape.search:
        conditions.append(_search_condition(shape.search))
    if shape.min_price:
        conditions.append(Product.price >= bindparam("min_price"))
    if shape.max_price:
        conditions.append(Product.price <= bindparam("max_price"))
    for index, documents in enumerate(shape.features):
        # JSONB containment (`features @> {...}`), served by the GIN index.
        contained = (bindparam(f"feature_{index}_{number}", type_=JSONB) for number in range(documents))
        conditions.append(or_(*(Product.features.contains(document) for document in contained)))
    return conditions


# What a listing shows of a product, its stock from the read model beside it: plain rows, no ORM
# identity map (a read builds its answer straight from them). Plain columns, so they run on a
# connection (`ReadDatabase`): the ORM's execution around the statement cost ~60 µs a page.
LISTED = select(
    Product.id,
    Product.name,
    Product.description,
    Product.price,
    # The shop's currency, bound per request like a filter's value: each row is a whole wire shape.
    bindparam("currency", type_=String).label("currency"),
    Product.image_url,
    Product.features,
    _IN_STOCK.label("stock"),
    StockLevel.updated_at.label("stock_updated_at"),
    Product.created_at,
    Product.updated_at,
).outerjoin(StockLevel, StockLevel.product_id == Product.id)

# A product page: its parameter is `product_id`.
LISTED_PRODUCT = LISTED.where(Product.id == bindparam("product_id"), Product.archived_at.is_(None))


# Built once per shape, its values bound per request: building the statement and its cache key
# anew for every page cost a third of the time the page spent in SQLAlchemy. Shapes are few (a
# sort, which filters are on); the bound keeps odd combinations of feature filters from piling up.
@lru_cache(maxsize=256)
def listing_page(shape: ListingShape) -> Paginated:
    """The statement of a listing of this shape, paged (`common/pagination.py`)."""
    return paginated(LISTED.where(and_(*_conditions(shape))).order_by(*ORDERINGS[shape.sort]))


async def list_page(
    database: ReadDatabase, *, shape: ListingShape, values: dict[str, Any], page: PageParams, currency: str
) -> tuple[list[Row[Any]], int]:
    """One page and the total of matching products, each with its stock (prices in `currency`), in one statement."""
    async with database.connect() as connection:
        return await fetch_page(connection, listing_page(shape), page, {**values, "currency": currency})


async def get_listed(database: ReadDatabase, product_id: int, *, currency: str) -> Row[Any] | None:
    """One listed product with its stock, as a listing shows it (its price in `currency`)."""
    async with database.connect() as connection:
        return (await connection.execute(LISTED_PRODUCT, {"product_id": product_id, "currency": currency})).first()


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
