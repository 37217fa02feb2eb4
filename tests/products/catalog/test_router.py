"""Catalog writes and reads over the API, with a real Inventory process behind Products."""

import json

import asyncpg
import pytest

from microshop.devtools.embedded_db import free_port
from microshop.products.app import create_app
from tests.products.catalog.support import Catalog, catalog_settings, png_upload
from tests.products.support import FixedServiceTokens
from tests.support.apps import app_client
from tests.support.postgres import TestPostgres, asyncpg_dsn
from tests.support.tokens import TokenFactory, bearer


class TestCreate:
    async def test_seed_curl_multipart_creates_product_with_stock(self, catalog: Catalog) -> None:
        # curl -X POST .../api/products -H "Authorization: Bearer ..." -F name=Laptop -F price=1500 -F stock=10
        response = await catalog.client.post(
            "/api/products",
            headers=catalog.admin(),
            files={"name": (None, "Laptop"), "price": (None, "1500"), "stock": (None, "10")},
        )
        assert response.status_code == 201, response.text
        product = response.json()
        assert product["name"] == "Laptop"
        assert product["price"] == "1500.00"
        assert product["stock"] == 10
        assert product["features"] == {}
        assert product["image_url"] is None
        assert catalog.inventory_stock(product["id"]) == 10
        fetched = await catalog.client.get(f"/api/products/{product['id']}")
        assert fetched.json() == product

    async def test_json_create_with_features(self, catalog: Catalog) -> None:
        product = await catalog.create(
            name="Laptop Gamer", price="1500", description="Rápida", features={"gpu": "RTX 3060", "ram_gb": 16}, stock=3
        )
        assert product["price"] == "1500.00"
        assert product["features"] == {"gpu": "RTX 3060", "ram_gb": 16}
        assert product["description"] == "Rápida"
        assert product["stock"] == 3
        assert set(product) == {
            "id",
            "name",
            "description",
            "price",
            "currency",
            "image_url",
            "features",
            "stock",
            "stock_updated_at",
            "created_at",
            "updated_at",
        }

    async def test_multipart_features_as_json_string(self, catalog: Catalog) -> None:
        response = await catalog.client.post(
            "/api/products",
            headers=catalog.admin(),
            data={"name": "Mouse", "price": "25.50", "features": json.dumps({"color": "negro"})},
        )
        assert response.status_code == 201, response.text
        assert response.json()["features"] == {"color": "negro"}
        assert response.json()["stock"] == 0  # no inventory row yet: stock 0 (docs/architecture.md#wire-shapes)

    async def test_seed_001_alias_creates_too(self, catalog: Catalog) -> None:
        response = await catalog.client.post("/products", json={"name": "Alias", "price": 1}, headers=catalog.admin())
        assert response.status_code == 201
        assert (await catalog.client.get(f"/products/{response.json()['id']}")).json()["name"] == "Alias"

    async def test_inventory_down_leaves_no_half_created_product(
        self, catalog: Catalog, tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory, database_url: str
    ) -> None:
        settings = catalog_settings(
            database_url, tokens, tmp_path_factory.mktemp("media"), f"http://127.0.0.1:{free_port()}", http_retries=0
        )
        app = create_app(settings)
        async with app_client(app) as client:
            app.state.inventory.tokens = FixedServiceTokens(tokens)
            response = await client.post(
                "/api/products",
                headers=catalog.admin(),
                files={"name": (None, "Ghost"), "price": (None, "5"), "stock": (None, "3"), "image": png_upload()},
            )
            listed = await client.get("/api/products", params={"q": "Ghost"})
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "inventory_unavailable"
        assert listed.json()["total"] == 0
        assert list(settings.media_dir.iterdir()) == []

    async def test_without_token_is_401(self, catalog: Catalog) -> None:
        response = await catalog.client.post("/api/products", json={"name": "X", "price": "1"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"

    async def test_non_admin_is_403(self, catalog: Catalog) -> None:
        response = await catalog.client.post("/api/products", json={"name": "X", "price": "1"}, headers=catalog.user())
        assert response.status_code == 403

    async def test_service_token_is_403(self, catalog: Catalog, tokens: TokenFactory) -> None:
        response = await catalog.client.post(
            "/api/products", json={"name": "X", "price": "1"}, headers=bearer(tokens.service())
        )
        assert response.status_code == 403

    @pytest.mark.parametrize(
        "body",
        [
            {"price": "1"},
            {"name": "", "price": "1"},
            {"name": "X"},
            {"name": "X", "price": "-1"},
            {"name": "X", "price": "1.001"},
            {"name": "X", "price": "100000000"},
            {"name": "X", "price": "abc"},
            {"name": "X", "price": "NaN"},
            {"name": "X", "price": "1", "stock": -1},
            {"name": "X", "price": "1", "stock": "many"},
            {"name": "X", "price": "1", "features": ["not", "an", "object"]},
            {"name": "X", "price": "1", "features": {"bad": "nul\u0000"}},
            {"name": "nul\u0000", "price": "1"},
            {"name": "X", "price": "1", "features": {f"k{i}": i for i in range(51)}},
            {"name": "X" * 256, "price": "1"},
        ],
    )
    async def test_bad_json_is_422(self, catalog: Catalog, body: dict[str, object]) -> None:
        response = await catalog.client.post("/api/products", json=body, headers=catalog.admin())
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "validation_error"

    @pytest.mark.parametrize(
        ("content", "content_type", "status"),
        [
            (b"{not json", "application/json", 422),
            (b"[1, 2]", "application/json", 422),
            (b'{"name": "X", "price": 1e999}', "application/json", 422),
            (b"\xff\xfe", "application/json", 422),
            (b"name=X&price=1", "text/plain", 415),
            (b"--x\r\nbroken", "multipart/form-data; boundary=x", 422),
            (b"--x\r\n", "multipart/form-data", 400),
            (b"name=X&price=1&features=%7Bnope", "application/x-www-form-urlencoded", 422),
            (b"name=X&price=1&features=NaN", "application/x-www-form-urlencoded", 422),
        ],
    )
    async def test_malformed_bodies_are_4xx_json(
        self, catalog: Catalog, content: bytes, content_type: str, status: int
    ) -> None:
        response = await catalog.client.post(
            "/api/products", content=content, headers={**catalog.admin(), "Content-Type": content_type}
        )
        assert response.status_code == status, response.text
        assert "error" in response.json()


class TestUpdate:
    async def test_put_json_changes_only_sent_fields_and_sets_stock(self, catalog: Catalog) -> None:
        product = await catalog.create(name="Old", price="5", description="keep", features={"a": "1"}, stock=1)
        response = await catalog.client.put(
            f"/api/products/{product['id']}", json={"name": "New", "stock": 7}, headers=catalog.admin()
        )
        assert response.status_code == 200, response.text
        updated = response.json()
        assert (updated["name"], updated["description"], updated["price"]) == ("New", "keep", "5.00")
        assert updated["features"] == {"a": "1"}
        assert updated["stock"] == 7
        assert catalog.inventory_stock(product["id"]) == 7
        assert updated["updated_at"] > product["updated_at"]

    async def test_post_multipart_update_seed_style(self, catalog: Catalog) -> None:
        product = await catalog.create(name="Form", price="5")
        response = await catalog.client.post(
            f"/api/products/{product['id']}",
            headers=catalog.admin(),
            files={"price": (None, "6.5"), "features": (None, '{"x": "y"}')},
        )
        assert response.status_code == 200, response.text
        assert response.json()["price"] == "6.50"
        assert response.json()["features"] == {"x": "y"}
        assert response.json()["name"] == "Form"

    async def test_null_name_is_422(self, catalog: Catalog) -> None:
        product = await catalog.create()
        response = await catalog.client.put(
            f"/api/products/{product['id']}", json={"name": None}, headers=catalog.admin()
        )
        assert response.status_code == 422

    async def test_unknown_is_404_and_non_admin_403(self, catalog: Catalog) -> None:
        assert (await catalog.client.put("/api/products/999999", json={}, headers=catalog.admin())).status_code == 404
        product = await catalog.create()
        response = await catalog.client.put(
            f"/api/products/{product['id']}", json={"name": "Y"}, headers=catalog.user()
        )
        assert response.status_code == 403
        assert (await catalog.client.put(f"/api/products/{product['id']}", json={"name": "Y"})).status_code == 401


class TestArchive:
    async def test_delete_archives_and_hides(self, catalog: Catalog, test_postgres: TestPostgres) -> None:
        product = await catalog.create(name="Doomed")
        response = await catalog.client.delete(f"/api/products/{product['id']}", headers=catalog.admin())
        assert response.status_code == 204
        assert (await catalog.client.get(f"/api/products/{product['id']}")).status_code == 404
        assert (
            await catalog.client.delete(f"/api/products/{product['id']}", headers=catalog.admin())
        ).status_code == 404
        listed = await catalog.client.get("/api/products", params={"q": "Doomed"})
        assert listed.json()["total"] == 0
        # kept for order history
        connection = await asyncpg.connect(asyncpg_dsn(catalog.settings.database_url))
        try:
            archived = await connection.fetchval(
                "SELECT archived_at FROM products.products WHERE id = $1", product["id"]
            )
        finally:
            await connection.close()
        assert archived is not None

    async def test_non_admin_cannot_delete(self, catalog: Catalog) -> None:
        product = await catalog.create()
        assert (
            await catalog.client.delete(f"/api/products/{product['id']}", headers=catalog.user())
        ).status_code == 403
        assert (await catalog.client.delete(f"/api/products/{product['id']}")).status_code == 401


class TestRead:
    async def test_unknown_and_bad_ids(self, catalog: Catalog) -> None:
        assert (await catalog.client.get("/api/products/424242")).status_code == 404
        for bad in ("abc", "0", "-1", str(2**63), "1.5"):
            response = await catalog.client.get(f"/api/products/{bad}")
            assert response.status_code == 422, bad
            assert response.json()["error"]["code"] == "validation_error"

    async def test_invalid_token_on_public_route_is_401(self, catalog: Catalog) -> None:
        response = await catalog.client.get("/api/products", headers={"Authorization": "Bearer nope"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_token"

    async def test_inventory_down_still_shows_the_stock_products_has_seen(
        self, catalog: Catalog, tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory, database_url: str
    ) -> None:
        product = await catalog.create(name="Stocked", stock=4)
        settings = catalog_settings(
            database_url, tokens, tmp_path_factory.mktemp("media"), f"http://127.0.0.1:{free_port()}", http_retries=0
        )
        app = create_app(settings)
        async with app_client(app) as client:
            app.state.inventory.tokens = FixedServiceTokens(tokens)
            one = await client.get(f"/api/products/{product['id']}")
            page = await client.get("/api/products")
        assert one.status_code == 200
        assert one.json()["stock"] == 4 and one.json()["stock_updated_at"] is not None
        assert "X-Stock-Status" not in one.headers
        assert page.status_code == 200
        assert product["id"] in {item["id"] for item in page.json()["items"]}
        assert {item["stock"] for item in page.json()["items"] if item["id"] == product["id"]} == {4}
