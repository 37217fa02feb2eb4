"""GET /api/products: search, filters, sort, pagination, and one Inventory call per page."""

from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from microshop.common.db import _ReadOnlySession as ReadOnlySessionClass
from tests.products.catalog.support import Catalog

PRODUCTS: list[dict[str, Any]] = [
    {
        "name": "Laptop Gamer",
        "price": "1500.00",
        "description": "Portátil para juegos",
        "features": {"brand": "ASUS", "gpu": "RTX 3060", "ram": "16GB"},
        "stock": 5,
    },
    {
        "name": "Laptop Oficina",
        "price": "800.00",
        "description": "Ligera",
        "features": {"brand": "Lenovo", "ram": "8GB"},
        "stock": 0,
    },
    {
        "name": "Desktop Torre",
        "price": "1200.00",
        "description": "Con tarjeta gráfica",
        "features": {"brand": "ASUS", "gpu": "RTX 3060 Ti", "ram_gb": 32},
        "stock": 2,
    },
    {"name": "Mouse", "price": "25.00", "description": "Inalámbrico", "features": {"colors": ["negro", "rojo"]}},
    {"name": "Teclado mecánico", "price": "80.50", "features": {"switches": "red", "ram_gb": 0}, "stock": 9},
]


@pytest.fixture(scope="module")
async def seeded(catalog: Catalog) -> dict[str, dict[str, Any]]:
    created = {}
    for product in PRODUCTS:
        created[product["name"]] = await catalog.create(**product)
    return created


async def names(catalog: Catalog, **params: Any) -> list[str]:
    response = await catalog.client.get("/api/products", params=params)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


class TestListing:
    async def test_default_is_newest_first_with_stock(self, catalog: Catalog, seeded: dict[str, Any]) -> None:
        response = await catalog.client.get("/api/products")
        body = response.json()
        assert body["total"] == 5
        assert (body["page"], body["page_size"]) == (1, 20)
        assert [item["name"] for item in body["items"]] == [p["name"] for p in reversed(PRODUCTS)]
        stock = {item["name"]: item["stock"] for item in body["items"]}
        assert stock == {"Laptop Gamer": 5, "Laptop Oficina": 0, "Desktop Torre": 2, "Mouse": 0, "Teclado mecánico": 9}
        assert "X-Stock-Status" not in response.headers

    async def test_feature_filter_returns_exactly_the_matching_products(
        self, catalog: Catalog, seeded: dict[str, Any]
    ) -> None:
        assert await names(catalog, **{"feature.gpu": "RTX 3060"}) == ["Laptop Gamer"]
        assert await names(catalog, **{"feature.brand": "ASUS", "sort": "name"}) == ["Desktop Torre", "Laptop Gamer"]
        assert await names(catalog, **{"feature.brand": "ASUS", "feature.ram": "16GB"}) == ["Laptop Gamer"]
        assert await names(catalog, **{"feature.brand": "asus"}) == []
        assert await names(catalog, **{"feature.nothing": "x"}) == []

    async def test_feature_filter_matches_numbers_and_array_members(
        self, catalog: Catalog, seeded: dict[str, Any]
    ) -> None:
        assert await names(catalog, **{"feature.ram_gb": "32"}) == ["Desktop Torre"]
        assert await names(catalog, **{"feature.ram_gb": "0"}) == ["Teclado mecánico"]
        assert await names(catalog, **{"feature.colors": "rojo"}) == ["Mouse"]

    async def test_repeated_feature_means_any_of(self, catalog: Catalog, seeded: dict[str, Any]) -> None:
        response = await catalog.client.get(
            "/api/products", params=[("feature.brand", "Lenovo"), ("feature.brand", "ASUS"), ("sort", "price")]
        )
        assert [item["name"] for item in response.json()["items"]] == [
            "Laptop Oficina",
            "Desktop Torre",
            "Laptop Gamer",
        ]

    async def test_search_full_text_and_prefix(self, catalog: Catalog, seeded: dict[str, Any]) -> None:
        assert await names(catalog, q="laptop", sort="name") == ["Laptop Gamer", "Laptop Oficina"]
        assert await names(catalog, q="Lap", sort="name") == ["Laptop Gamer", "Laptop Oficina"]
        assert await names(catalog, q="laptop gamer") == ["Laptop Gamer"]
        assert await names(catalog, q="gráfica") == ["Desktop Torre"]  # description
        assert await names(catalog, q="inalám") == ["Mouse"]
        assert await names(catalog, q="tablet") == []
        assert await names(catalog, q="%") == []  # wildcards are literal
        assert await names(catalog, q="' & ! :* (") == []  # tsquery syntax is never an error

    async def test_price_range(self, catalog: Catalog, seeded: dict[str, Any]) -> None:
        assert await names(catalog, min_price="100", max_price="1200", sort="price") == [
            "Laptop Oficina",
            "Desktop Torre",
        ]
        assert await names(catalog, max_price="25", sort="price") == ["Mouse"]
        assert await names(catalog, min_price="1500.00") == ["Laptop Gamer"]

    async def test_sorts(self, catalog: Catalog, seeded: dict[str, Any]) -> None:
        by_price = sorted(PRODUCTS, key=lambda p: float(p["price"]))
        assert await names(catalog, sort="price") == [p["name"] for p in by_price]
        assert await names(catalog, sort="-price") == [p["name"] for p in reversed(by_price)]
        assert await names(catalog, sort="name") == sorted(p["name"] for p in PRODUCTS)

    async def test_pagination(self, catalog: Catalog, seeded: dict[str, Any]) -> None:
        pages = [
            (await catalog.client.get("/api/products", params={"sort": "price", "page_size": 2, "page": n})).json()
            for n in (1, 2, 3, 4)
        ]
        assert [page["total"] for page in pages] == [5, 5, 5, 5]
        assert [len(page["items"]) for page in pages] == [2, 2, 1, 0]
        seen = [item["name"] for page in pages for item in page["items"]]
        assert seen == await names(catalog, sort="price")

    async def test_alias_path_lists_too(self, catalog: Catalog, seeded: dict[str, Any]) -> None:
        response = await catalog.client.get("/products", params={"q": "Mouse"})
        assert [item["name"] for item in response.json()["items"]] == ["Mouse"]

    @pytest.mark.parametrize(
        "params",
        [
            {"page": 0},
            {"page": "x"},
            {"page_size": 101},
            {"page_size": 0},
            {"sort": "popularity"},  # not a sort key (`stock` is one since the read model)
            {"min_price": "-1"},
            {"min_price": "cheap"},
            {"min_price": "10", "max_price": "5"},
            {"q": "x" * 201},
            {"q": "nul\x00"},
            {"feature.": "x"},
            {"feature.gpu": "y" * 201},
            {"feature.gpu": "nul\x00"},
            {f"feature.k{i}": "v" for i in range(21)},
        ],
    )
    async def test_bad_parameters_are_422(self, catalog: Catalog, params: dict[str, Any]) -> None:
        response = await catalog.client.get("/api/products", params=params)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "validation_error"


class TestNoInventoryCallOnReads:
    async def test_a_page_of_many_products_makes_no_inventory_call(
        self, catalog: Catalog, seeded: dict[str, Any]
    ) -> None:
        for n in range(20):
            await catalog.create(name=f"Bulk {n}", price="1", stock=n)
        before = catalog.inventory_list_calls()
        response = await catalog.client.get("/api/products", params={"page_size": 20, "q": "Bulk"})
        after = catalog.inventory_list_calls()
        assert len(response.json()["items"]) == 20
        assert {item["stock"] for item in response.json()["items"]} == set(range(20))
        assert after - before == 0

    async def test_an_empty_page_makes_no_inventory_call(self, catalog: Catalog, seeded: dict[str, Any]) -> None:
        before = catalog.inventory_list_calls()
        assert await names(catalog, q="nothing-like-this") == []
        assert catalog.inventory_list_calls() == before


class TestLeanReads:
    """A catalog read is one statement on a pooled connection, outside any transaction block: no
    BEGIN/COMMIT round trips around it."""

    @staticmethod
    async def statements_of(catalog: Catalog, path: str, **params: Any) -> list[tuple[str, bool]]:
        """(first word, ran inside a transaction block?) of every statement on the catalog's tables meanwhile
        (the engine's background work, the outbox relay say, touches other tables)."""
        sent: list[tuple[str, bool]] = []

        def record(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if "products.products" not in statement:
                return
            in_transaction = connection.connection.driver_connection.is_in_transaction()
            sent.append((statement.split()[0].upper(), in_transaction))

        engine = catalog.app.state.engine.sync_engine
        event.listen(engine, "after_cursor_execute", record)
        try:
            response = await catalog.client.get(path, params=params)
        finally:
            event.remove(engine, "after_cursor_execute", record)
        assert response.status_code == 200, response.text
        return sent

    @pytest.mark.parametrize("params", [{}, {"q": "laptop", "sort": "stock", "in_stock": "true"}])
    async def test_a_page_is_one_select_outside_a_transaction(
        self, catalog: Catalog, seeded: dict[str, Any], params: dict[str, Any]
    ) -> None:
        assert await self.statements_of(catalog, "/api/products", **params) == [("SELECT", False)]

    async def test_a_product_is_one_select_outside_a_transaction(
        self, catalog: Catalog, seeded: dict[str, Any]
    ) -> None:
        product_id = seeded["Mouse"]["id"]
        assert await self.statements_of(catalog, f"/api/products/{product_id}") == [("SELECT", False)]

    async def test_pages_of_one_shape_run_one_statement_with_their_own_values(
        self, catalog: Catalog, seeded: dict[str, Any]
    ) -> None:
        """The statement is built once per shape (filters present, sort) and only its values change."""
        executed: list[Any] = []

        def record(_connection: Any, statement: Any, *_: Any) -> None:
            executed.append(statement)

        engine = catalog.app.state.engine.sync_engine
        event.listen(engine, "before_execute", record)
        try:
            laptops = await names(catalog, q="laptop", **{"feature.brand": "ASUS"}, sort="name")
            desktops = await names(catalog, q="torre", **{"feature.brand": "ASUS"}, sort="name", page_size=1)
        finally:
            event.remove(engine, "before_execute", record)
        assert (laptops, desktops) == (["Laptop Gamer"], ["Desktop Torre"])
        assert len(executed) == 2 and executed[0] is executed[1]

    async def test_a_page_and_a_product_skip_the_orm(self, catalog: Catalog, seeded: dict[str, Any]) -> None:
        """Plain columns run on a connection held for the statement alone: no session, no ORM execution."""
        through_the_orm: list[str] = []
        read_sessions: list[Session] = []

        def record(orm_execute: ORMExecuteState) -> None:
            if "products.products" in str(orm_execute.statement):  # not the background workers' statements
                through_the_orm.append(str(orm_execute.statement))

        def began(session: Session, *_: Any) -> None:
            if isinstance(session, ReadOnlySessionClass):
                read_sessions.append(session)

        event.listen(Session, "do_orm_execute", record)
        event.listen(Session, "after_begin", began)
        try:
            assert await names(catalog, q="laptop", sort="name") == ["Laptop Gamer", "Laptop Oficina"]
            product = await catalog.client.get(f"/api/products/{seeded['Mouse']['id']}")
        finally:
            event.remove(Session, "do_orm_execute", record)
            event.remove(Session, "after_begin", began)
        assert product.json()["name"] == "Mouse"
        assert (through_the_orm, read_sessions) == ([], [])

    async def test_a_write_still_runs_in_its_transaction(self, catalog: Catalog, seeded: dict[str, Any]) -> None:
        sent: list[bool] = []

        def record(connection: Any, *_: Any) -> None:
            sent.append(connection.connection.driver_connection.is_in_transaction())

        engine = catalog.app.state.engine.sync_engine
        event.listen(engine, "after_cursor_execute", record)
        try:
            await catalog.create(name="Written in a transaction")
        finally:
            event.remove(engine, "after_cursor_execute", record)
        assert sent and all(sent)
