"""The admin's CSV export of the filtered order list: streamed from a server-side cursor, no page limit.

Rows are fetched `BATCH` at a time and written out as they come, so memory stays flat however
many orders match.
"""

import csv
import io
from collections.abc import AsyncIterator, Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from microshop.products.orders import repository
from microshop.products.orders.models import Order
from microshop.products.orders.schemas import OrderFilters

BATCH = 500
COLUMNS = {
    "id": Order.id,
    "created_at": Order.created_at,
    "placed_at": Order.placed_at,
    "user_id": Order.user_id,
    "status": Order.status,
    "payment_status": Order.payment_status,
    "currency": Order.currency,
    "subtotal": Order.subtotal,
    "shipping_total": Order.shipping_total,
    "total": Order.total,
    "shipping_method": Order.shipping_name,
    "payment_method": Order.payment_method,
    "carrier": Order.carrier,
    "tracking_number": Order.tracking_number,
    "country": Order.address["country"].astext,
    "postal_code": Order.address["postal_code"].astext,
    "city": Order.address["city"].astext,
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A spreadsheet must not run what a customer typed: text starting like a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(rows: Iterable[Iterable[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode()


async def export_csv(*, sessionmaker: async_sessionmaker[AsyncSession], filters: OrderFilters) -> AsyncIterator[bytes]:
    """The header, then every matching order newest first, a batch of rows per chunk."""
    yield _csv([COLUMNS])
    statement = repository.filtered(filters).with_only_columns(*COLUMNS.values())
    async with sessionmaker() as session:
        result = await session.stream(statement.execution_options(yield_per=BATCH))
        async for batch in result.partitions():
            yield _csv(batch)
