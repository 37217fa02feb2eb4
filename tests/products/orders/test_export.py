"""GET /api/admin/orders/export.csv: every filtered row, streamed with memory that does not grow with the count."""

import csv
import io
import itertools
import tracemalloc

import pytest

from microshop.products.orders import export
from microshop.products.orders.schemas import OrderFilters
from tests.products.orders.support import Shop

_owners = itertools.count(880_000)


async def _insert_orders(shop: Shop, count: int, *, city: str = "Madrid") -> int:
    """`count` placed orders of one new customer, inserted in bulk by SQL; the customer's id."""
    user_id = next(_owners)
    cart = await shop.fetch(
        "INSERT INTO products.carts (user_id, status) VALUES ($1, 'completed') RETURNING id", user_id
    )
    await shop.fetch(
        """
        INSERT INTO products.orders (user_id, cart_id, status, currency, subtotal, shipping_total, total,
                                     shipping_name, payment_method, address, placed_at)
        SELECT $1, $2, 'placed', 'EUR', n, 4.90, n + 4.90, 'Courier', 'bank_transfer',
               jsonb_build_object('name', 'Ana', 'phone', '600000000', 'line1', 'Calle Mayor 1', 'line2', null,
                                  'city', $3::text, 'region', null, 'postal_code', '28013', 'country', 'ES'), now()
        FROM generate_series(1, $4) AS n
        """,
        user_id,
        cart[0]["id"],
        city,
        count,
    )
    return user_id


async def _peak_bytes(shop: Shop, user_id: int) -> tuple[int, int]:
    """Stream the export of one customer's orders and drop the chunks: (rows, peak traced memory)."""
    tracemalloc.start()
    try:
        rows = 0
        stream = export.export_csv(sessionmaker=shop.app.state.sessionmaker, filters=OrderFilters(user_id=user_id))
        async for chunk in stream:
            rows += chunk.count(b"\n")
        return rows - 1, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def test_the_export_has_every_row_of_the_filter(shop: Shop) -> None:
    user_id = await _insert_orders(shop, 10_000)
    response = await shop.client.get(
        "/api/admin/orders/export.csv", params={"user_id": user_id, "status": "placed"}, headers=shop.admin()
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 10_000
    assert {row["user_id"] for row in rows} == {str(user_id)}
    assert sorted(float(row["subtotal"]) for row in rows) == [float(n) for n in range(1, 10_001)]
    assert rows[0]["total"] == "10004.90"


async def test_streaming_memory_does_not_grow_with_the_count(shop: Shop) -> None:
    small, large = await _insert_orders(shop, 1_000), await _insert_orders(shop, 10_000)
    await _peak_bytes(shop, small)  # warm up: statement caches, imports
    rows_small, peak_small = await _peak_bytes(shop, small)
    rows_large, peak_large = await _peak_bytes(shop, large)
    assert (rows_small, rows_large) == (1_000, 10_000)
    # Ten times the rows: the peak stays within the same batch-sized bound (a buffered export would be ~10x).
    assert peak_large < 2 * peak_small, (peak_small, peak_large)


@pytest.mark.parametrize("city", ['=HYPERLINK("http://x")', "+1", "@SUM(A1)", "-2"])
async def test_text_that_looks_like_a_formula_is_quoted(shop: Shop, city: str) -> None:
    user_id = await _insert_orders(shop, 1, city=city)
    response = await shop.client.get("/api/admin/orders/export.csv", params={"user_id": user_id}, headers=shop.admin())
    assert [row["city"] for row in csv.DictReader(io.StringIO(response.text))] == ["'" + city]
