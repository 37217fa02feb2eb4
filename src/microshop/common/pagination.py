"""Listings: the page a client asks for, the page it gets back, and one way to count the rows."""

from collections.abc import Mapping, Sequence
from typing import Any, Generic, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Integer, Row, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

T = TypeVar("T")

MAX_PAGE = 100_000
MAX_PAGE_SIZE = 100  # every listing's largest page


class PageParams(BaseModel):
    """`?page=&page_size=`, the query of every listing (subclass it to add a listing's filters)."""

    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


class Page(BaseModel, Generic[T]):
    """One page of a listing (docs/architecture.md#wire-shapes)."""

    model_config = ConfigDict(from_attributes=True)

    items: list[T]
    total: int
    page: int
    page_size: int

    @classmethod
    def of(cls, items: Sequence[Any], *, total: int, params: PageParams) -> "Page[T]":
        return cls(items=list(items), total=total, page=params.page, page_size=params.page_size)


async def paginate(session: AsyncSession, statement: Select[T], params: PageParams) -> tuple[list[T], int]:
    """One page of the entities `statement` selects and how many rows match in all."""
    rows, total = await paginate_rows(session, statement, params)
    return [row[0] for row in rows], total


class Paginated(NamedTuple):
    """A listing's statement ready for paging: built once, it serves every page (`fetch_page`)."""

    page: Select[Any]  # the statement's rows with the total as a window count; offset and limit bound
    total: Select[Any]  # the total alone, for a page past the end


PAGE_OFFSET, PAGE_LIMIT = "page_offset", "page_limit"


def paginated(statement: Select[Any]) -> Paginated:
    """`statement` (every column it selects) paged, with the total of matching rows."""
    counted = statement.add_columns(func.count().over().label("total_rows"))
    page = counted.offset(bindparam(PAGE_OFFSET, type_=Integer)).limit(bindparam(PAGE_LIMIT, type_=Integer))
    return Paginated(page, select(func.count()).select_from(statement.order_by(None).subquery()))


async def fetch_page(
    session: AsyncSession | AsyncConnection,
    statement: Paginated,
    params: PageParams,
    values: Mapping[str, Any] | None = None,
) -> tuple[list[Row[Any]], int]:
    """One page of `statement`'s rows, its parameters bound to `values`, and how many rows match in all.

    One query: the total rides along as a window count; only a page past the end needs a second.
    A statement of plain columns may run on the session's connection (no ORM loading to do).
    """
    bound = {**(values or {}), PAGE_OFFSET: params.offset, PAGE_LIMIT: params.page_size}
    rows = list((await session.execute(statement.page, bound)).all())
    if rows:
        return rows, int(rows[0][-1])
    if params.offset == 0:
        return [], 0
    total = await session.scalar(statement.total, values)
    return [], int(total or 0)


async def paginate_rows(
    session: AsyncSession, statement: Select[Any], params: PageParams
) -> tuple[list[Row[Any]], int]:
    """One page of `statement`'s rows (every column it selects) and how many rows match in all."""
    return await fetch_page(session, paginated(statement), params)
