"""Listings: the page a client asks for, the page it gets back, and one way to count the rows."""

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

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


async def paginate_rows(
    session: AsyncSession, statement: Select[Any], params: PageParams
) -> tuple[list[Row[Any]], int]:
    """One page of `statement`'s rows (every column it selects) and how many rows match in all.

    One query: the total rides along as a window count; only a page past the end needs a second.
    """
    counted = (
        statement.add_columns(func.count().over().label("total_rows")).offset(params.offset).limit(params.page_size)
    )
    rows = list((await session.execute(counted)).all())
    if rows:
        return rows, int(rows[0][-1])
    if params.offset == 0:
        return [], 0
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    return [], int(total or 0)
