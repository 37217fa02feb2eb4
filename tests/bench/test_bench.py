"""The bench's own logic that runs without the system: the floor's statements and the report's subsets."""

from pathlib import Path
from typing import Any

from bench.data import HOT_PAGE, PRODUCTS, DataSet, catalog_mix
from bench.floor_app import statement_for
from bench.report import loads, markdown, rows, write
from bench.wrk import LoadResult


def _data() -> DataSet:
    ids = list(range(1, PRODUCTS + 1))
    return DataSet(product_ids=ids, initial_stock=dict.fromkeys(ids, 10))


def test_the_floor_compiles_every_mix_path_with_the_services_statement() -> None:
    paths = catalog_mix(_data())
    assert paths[0] == HOT_PAGE and len(paths) == len(set(paths))
    for path in paths:
        statement = statement_for(path)
        if path.startswith("/api/products/"):
            assert statement.count is None and int(path.rsplit("/", 1)[1]) in statement.query.args
        else:
            assert statement.count is not None and "count(*) OVER ()" in statement.query.sql
            assert "products.stock_levels" in statement.query.sql


def test_the_floor_sends_what_the_query_string_asks() -> None:
    searched = statement_for("/api/products?q=lenovo+lap&in_stock=true&sort=stock&page=3")
    assert "lenovo:* & lap:*" in searched.query.args
    assert (searched.page, searched.page_size) == (3, 20)
    assert searched.query.args[-2:] == (20, 40)  # limit, offset: as paginate_rows adds them
    assert "DESC" in searched.query.sql.split("ORDER BY", 1)[1]
    filtered = statement_for("/api/products?feature.brand=HP&min_price=100&max_price=500")
    assert '{"brand": "HP"}' in filtered.query.args  # JSONB arguments as the dialect's JSON text
    assert "@>" in filtered.query.sql and ">=" in filtered.query.sql and "<=" in filtered.query.sql


def _load(rps: float) -> LoadResult:
    return LoadResult(requests=100, duration_s=1, rps=rps, p50_ms=5, p90_ms=8, p99_ms=10, max_ms=12, errors={})


def _run() -> dict[str, Any]:
    return {
        "finished_at": "2026-12-06 10:00 UTC",
        "cpus": 2,
        "cpu_model": "test",
        "workers": {"auth": 1, "inventory": 1, "products": 1},
        "connections": 32,
        "duration_s": 1,
        "products": PRODUCTS,
        "carts": 0,
        "commit": "abc",
        "load_average_before": [1.0],
        "load_average_after": [1.0],
        "bcrypt_rounds": 12,
    }


def test_the_report_shows_only_the_scenarios_that_ran(tmp_path: Path) -> None:
    results = {
        "catalog": {"same_page": True, "items": 20, "service": _load(80), "floor": _load(100)},
        "catalog_mix": {
            "paths": 65,
            "items": 865,
            "differ": [],
            "same": True,
            "service": _load(50),
            "floor": _load(100),
        },
        "run": _run(),
    }
    table = rows(results)
    assert {row.scenario for row in table} == {"catalog page", "catalog mix (65 paths)"}
    assert [row.met for row in table if row.target] == [True, True, False, True]  # 0.8× and 0.5× the floor
    assert list(loads(results)) == [
        "catalog, floor app",
        "catalog, products service",
        "catalog mix, floor app",
        "catalog mix, products service",
    ]
    assert "Checkout" not in markdown(results, table)
    write(results, tmp_path)
    assert (tmp_path / "latest.png").stat().st_size > 0 and (tmp_path / "latest.json").exists()
