"""Stock routes in process, on a fresh migrated database."""

from collections.abc import Callable

import httpx
import pytest

from tests.inventory.support import fetch, ledger_violations
from tests.support.tokens import TokenFactory, bearer


async def set_stock(client: httpx.AsyncClient, headers: dict[str, str], product_id: int, stock: int) -> httpx.Response:
    response = await client.post("/api/inventory", json={"product_id": product_id, "stock": stock}, headers=headers)
    assert response.status_code == 200, response.text
    return response


async def movements_of(database_url: str, product_id: int) -> list[tuple[int, str, str | None, str]]:
    rows = await fetch(
        database_url,
        "SELECT delta, reason, reference, actor FROM inventory.movements WHERE product_id = $1 ORDER BY id",
        product_id,
    )
    return [tuple(row) for row in rows]


class TestUpsert:
    async def test_post_creates_then_updates_like_the_seed_upsert(
        self, client: httpx.AsyncClient, admin: dict[str, str], product_id: int, database_url: str
    ) -> None:
        created = await set_stock(client, admin, product_id, 100)
        assert created.json()["product_id"] == product_id
        assert created.json()["stock"] == 100
        updated = await set_stock(client, admin, product_id, 40)
        assert {key: updated.json()[key] for key in ("product_id", "stock")} == {"product_id": product_id, "stock": 40}
        assert set(updated.json()) == {"product_id", "stock", "updated_at"}
        read = await client.get(f"/api/inventory/{product_id}", headers=admin)
        assert read.json()["stock"] == 40
        assert await movements_of(database_url, product_id) == [
            (100, "set", None, "user:1"),
            (-60, "set", None, "user:1"),
        ]

    async def test_setting_the_same_stock_writes_no_movement(
        self, client: httpx.AsyncClient, admin: dict[str, str], product_id: int, database_url: str
    ) -> None:
        await set_stock(client, admin, product_id, 7)
        await set_stock(client, admin, product_id, 7)
        assert await movements_of(database_url, product_id) == [(7, "set", None, "user:1")]

    async def test_setting_zero_on_a_new_product_creates_the_row(
        self, client: httpx.AsyncClient, admin: dict[str, str], product_id: int
    ) -> None:
        await set_stock(client, admin, product_id, 0)
        assert (await client.get(f"/api/inventory/{product_id}", headers=admin)).json()["stock"] == 0

    async def test_put_sets_stock(
        self, client: httpx.AsyncClient, admin: dict[str, str], product_id: int, database_url: str
    ) -> None:
        response = await client.put(f"/api/inventory/{product_id}", json={"stock": 12}, headers=admin)
        assert response.status_code == 200
        assert response.json()["stock"] == 12
        again = await client.put(f"/inventory/{product_id}", json={"stock": 5}, headers=admin)
        assert again.json()["stock"] == 5
        assert [delta for delta, *_ in await movements_of(database_url, product_id)] == [12, -7]

    async def test_put_is_for_admins_only(
        self, client: httpx.AsyncClient, service: dict[str, str], product_id: int, database_url: str
    ) -> None:
        response = await client.put(f"/api/inventory/{product_id}", json={"stock": 12}, headers=service)
        assert response.status_code == 403
        assert await movements_of(database_url, product_id) == []

    async def test_service_acting_for_a_user_is_recorded_as_that_user(
        self, client: httpx.AsyncClient, service: dict[str, str], product_id: int, database_url: str
    ) -> None:
        headers = {**service, "X-On-Behalf-Of": "12"}
        await set_stock(client, headers, product_id, 3)
        await set_stock(client, service, product_id, 4)
        actors = [actor for *_, actor in await movements_of(database_url, product_id)]
        assert actors == ["user:12 via service:products-service", "service:products-service"]

    async def test_on_behalf_of_is_ignored_from_an_admin(
        self, client: httpx.AsyncClient, admin: dict[str, str], product_id: int, database_url: str
    ) -> None:
        await set_stock(client, {**admin, "X-On-Behalf-Of": "not-a-number"}, product_id, 3)
        assert [actor for *_, actor in await movements_of(database_url, product_id)] == ["user:1"]

    async def test_bad_on_behalf_of_from_a_service_is_422(
        self, client: httpx.AsyncClient, service: dict[str, str], product_id: int
    ) -> None:
        headers = {**service, "X-On-Behalf-Of": "12x"}
        response = await client.post("/api/inventory", json={"product_id": product_id, "stock": 1}, headers=headers)
        assert response.status_code == 422
        assert "X-On-Behalf-Of" in response.json()["error"]["message"]


class TestEntriesAndExits:
    async def test_entry_and_exit_move_stock_and_record_reasons(
        self, client: httpx.AsyncClient, admin: dict[str, str], product_id: int, database_url: str
    ) -> None:
        entry = {"product_id": product_id, "type": "in", "quantity": 10}
        assert (await client.post("/api/inventory", json=entry, headers=admin)).json()["stock"] == 10
        exit_ = {"product_id": product_id, "type": "out", "quantity": 4, "reason": "damaged"}
        response = await client.post("/inventory", json=exit_, headers=admin)
        assert response.status_code == 200
        assert response.json()["stock"] == 6
        assert await movements_of(database_url, product_id) == [
            (10, "in", None, "user:1"),
            (-4, "damaged", None, "user:1"),
        ]

    async def test_exit_beyond_stock_is_409_and_changes_nothing(
        self, client: httpx.AsyncClient, admin: dict[str, str], product_id: int, database_url: str
    ) -> None:
        await set_stock(client, admin, product_id, 3)
        body = {"product_id": product_id, "type": "out", "quantity": 5}
        response = await client.post("/api/inventory", json=body, headers=admin)
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "insufficient_stock"
        assert error["details"] == {"short": [{"product_id": product_id, "requested": 5, "available": 3}]}
        assert (await client.get(f"/api/inventory/{product_id}", headers=admin)).json()["stock"] == 3
        assert len(await movements_of(database_url, product_id)) == 1

    async def test_exit_of_an_unknown_product_is_409_with_nothing_available(
        self, client: httpx.AsyncClient, admin: dict[str, str], product_id: int
    ) -> None:
        body = {"product_id": product_id, "type": "out", "quantity": 1}
        response = await client.post("/api/inventory", json=body, headers=admin)
        assert response.status_code == 409
        assert response.json()["error"]["details"]["short"][0]["available"] == 0


class TestReads:
    async def test_get_unknown_product_is_404(self, client: httpx.AsyncClient, user: dict[str, str]) -> None:
        response = await client.get("/api/inventory/987654321", headers=user)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    async def test_any_valid_token_reads(
        self, client: httpx.AsyncClient, admin: dict[str, str], tokens: TokenFactory, product_id: int
    ) -> None:
        await set_stock(client, admin, product_id, 9)
        for token in (tokens.user(5), tokens.admin(6), tokens.service()):
            response = await client.get(f"/inventory/{product_id}", headers=bearer(token))
            assert response.json()["stock"] == 9

    async def test_batch_lookup_holds_every_known_id_and_skips_unknown(
        self, client: httpx.AsyncClient, admin: dict[str, str], user: dict[str, str], new_product_id: Callable[[], int]
    ) -> None:
        ids = [new_product_id() for _ in range(3)]
        for stock, pid in enumerate(ids):
            await set_stock(client, admin, pid, stock + 1)
        unknown = new_product_id()
        query = ",".join(map(str, [ids[2], unknown, ids[0], ids[1]]))
        response = await client.get(f"/api/inventory?product_ids={query}&page_size=1", headers=user)
        body = response.json()
        assert [(item["product_id"], item["stock"]) for item in body["items"]] == [
            (ids[0], 1),
            (ids[1], 2),
            (ids[2], 3),
        ]
        assert body["total"] == 3
        assert body["page"] == 1

    async def test_pagination_and_low_stock_filter(
        self, client: httpx.AsyncClient, admin: dict[str, str], user: dict[str, str], new_product_id: Callable[[], int]
    ) -> None:
        ids = [new_product_id() for _ in range(3)]
        for pid in ids:
            await set_stock(client, admin, pid, 0)
        low = (await client.get("/api/inventory?low_stock=0&page_size=2", headers=user)).json()
        assert low["page_size"] == 2
        assert len(low["items"]) == 2
        assert low["total"] >= 3
        assert all(item["stock"] == 0 for item in low["items"])
        everything = (await client.get("/api/inventory?page_size=100", headers=user)).json()
        second = (await client.get("/api/inventory?page=2&page_size=1", headers=user)).json()
        assert second["items"] == everything["items"][1:2]
        assert second["total"] == everything["total"]

    async def test_movements_are_newest_first_and_admin_only(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        user: dict[str, str],
        service: dict[str, str],
        product_id: int,
    ) -> None:
        for stock in (5, 8, 2):
            await set_stock(client, admin, product_id, stock)
        response = await client.get(f"/api/inventory/{product_id}/movements?page_size=2", headers=admin)
        body = response.json()
        assert [item["delta"] for item in body["items"]] == [-6, 3]
        assert body["total"] == 3
        assert set(body["items"][0]) == {"id", "product_id", "delta", "reason", "reference", "actor", "created_at"}
        assert (await client.get(f"/api/inventory/{product_id}/movements", headers=user)).status_code == 403
        assert (await client.get(f"/api/inventory/{product_id}/movements", headers=service)).status_code == 403


class TestAuthorization:
    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("GET", "/api/inventory", None),
            ("GET", "/api/inventory/1", None),
            ("GET", "/inventory", None),
            ("POST", "/api/inventory", {"product_id": 1, "stock": 1}),
            ("PUT", "/api/inventory/1", {"stock": 1}),
            ("GET", "/api/inventory/1/movements", None),
        ],
    )
    async def test_no_token_is_401(self, client: httpx.AsyncClient, method: str, path: str, body: object) -> None:
        response = await client.request(method, path, json=body)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"

    async def test_invalid_token_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/inventory", headers=bearer("not.a.token"))
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_token"

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("POST", "/api/inventory", {"product_id": 1, "stock": 1}),
            ("POST", "/inventory", {"product_id": 1, "type": "in", "quantity": 1}),
            ("PUT", "/api/inventory/1", {"stock": 1}),
        ],
    )
    async def test_user_token_on_writes_is_403(
        self, client: httpx.AsyncClient, user: dict[str, str], method: str, path: str, body: object, database_url: str
    ) -> None:
        response = await client.request(method, path, json=body, headers=user)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
        assert await fetch(database_url, "SELECT 1 FROM inventory.inventory WHERE product_id = 1") == []


class TestBadInput:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"product_id": 1, "stock": -1}, "stock"),
            ({"product_id": 1, "stock": 1_000_000_001}, "stock"),
            ({"product_id": "abc", "stock": 1}, "product_id"),
            ({"product_id": 1.5, "stock": 1}, "product_id"),
            ({"product_id": True, "stock": 1}, "product_id"),
            ({"product_id": 0, "stock": 1}, "product_id"),
            ({"product_id": 2**63, "stock": 1}, "product_id"),
            ({"product_id": 1, "type": "in", "quantity": 0}, "quantity"),
            ({"product_id": 1, "type": "out", "quantity": -3}, "quantity"),
            ({"product_id": 1, "type": "in", "quantity": 1_000_000_001}, "quantity"),
            ({"product_id": 1, "type": "sideways", "quantity": 1}, "type"),
            ({"product_id": 1, "type": "in", "quantity": 1, "stock": 3}, "stock"),
            ({"product_id": 1, "type": "in", "quantity": 1, "reason": ""}, "reason"),
            ({"product_id": 1, "type": "in", "quantity": 1, "reason": "\u0000x"}, "reason"),
            ({"product_id": 1}, "stock"),
        ],
    )
    async def test_invalid_write_is_422_naming_the_field_and_writes_nothing(
        self, client: httpx.AsyncClient, admin: dict[str, str], body: object, field: str, database_url: str
    ) -> None:
        before = await fetch(database_url, "SELECT count(*) FROM inventory.movements")
        response = await client.post("/api/inventory", json=body, headers=admin)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert field in error["message"]
        assert await fetch(database_url, "SELECT count(*) FROM inventory.movements") == before

    @pytest.mark.parametrize(
        "query",
        [
            "product_ids=1,x",
            "product_ids=-1",
            "product_ids=" + ",".join(map(str, range(1, 302))),
            "page_size=201",
            "page=0",
            "low_stock=-1",
            "low_stock=abc",
        ],
    )
    async def test_invalid_list_query_is_422(self, client: httpx.AsyncClient, user: dict[str, str], query: str) -> None:
        response = await client.get(f"/api/inventory?{query}", headers=user)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"

    @pytest.mark.parametrize(
        ("query", "field"),
        [("product_ids=1,x", "product_ids"), ("product_ids=" + ",".join(map(str, range(1, 302))), "product_ids")],
    )
    async def test_a_refused_query_names_the_field_in_details(
        self, client: httpx.AsyncClient, user: dict[str, str], query: str, field: str
    ) -> None:
        response = await client.get(f"/api/inventory?{query}", headers=user)
        assert response.status_code == 422
        assert response.json()["error"]["details"][0]["loc"] == ["query", field]

    @pytest.mark.parametrize(
        "path", ["/api/inventory/abc", "/api/inventory/0", f"/api/inventory/{2**63}", "/api/inventory/1.5"]
    )
    async def test_non_integer_or_out_of_range_path_id_is_422(
        self, client: httpx.AsyncClient, user: dict[str, str], path: str
    ) -> None:
        assert (await client.get(path, headers=user)).status_code == 422

    async def test_malformed_json_is_422(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        headers = {**admin, "Content-Type": "application/json"}
        response = await client.post("/api/inventory", content=b"{nope", headers=headers)
        assert response.status_code == 422


async def test_ledger_invariant_holds_after_this_module(client: httpx.AsyncClient, database_url: str) -> None:
    assert await ledger_violations(database_url) == []
