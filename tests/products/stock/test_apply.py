"""A fetch's worth of stock events applied in one statement: the newest version per product wins."""

from sqlalchemy import text

from microshop.common.events.envelope import Event
from microshop.products.stock.service import STOCK_CHANGED, apply_stock_changes
from tests.products.catalog.support import Catalog


def changed(product_id: int, stock: int, version: int) -> Event:
    data = {"product_id": product_id, "stock": stock, "version": version}
    return Event(type=STOCK_CHANGED, source="inventory", subject=f"product:{product_id}", data=data)


async def test_out_of_order_and_repeated_events_leave_the_newest_and_never_go_back(catalog: Catalog) -> None:
    first, second = 8_100_000_001, 8_100_000_002
    async with catalog.app.state.sessionmaker.begin() as session:
        await apply_stock_changes(session, events=[changed(second, 50, 9)])
    events = [
        changed(first, 7, 3),
        changed(first, 9, 2),
        changed(second, 1, 4),
        changed(first, 4, 5),
        changed(first, 4, 5),
    ]
    async with catalog.app.state.sessionmaker.begin() as session:
        await apply_stock_changes(session, events=events)
    async with catalog.app.state.sessionmaker() as session:
        rows = await session.execute(
            text("SELECT product_id, stock, version FROM products.stock_levels WHERE product_id IN (:a, :b)"),
            {"a": first, "b": second},
        )
        assert sorted(tuple(row) for row in rows) == [(first, 4, 5), (second, 50, 9)]
