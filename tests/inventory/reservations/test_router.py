"""Reservation routes in process: outcomes, idempotency, release, tombstones, authorization, bad input."""

from collections.abc import Callable

import httpx
import pytest

from tests.inventory.support import fetch, ledger_violations

RESERVE = "/api/inventory/reservations"


async def stock_of(client: httpx.AsyncClient, headers: dict[str, str], product_id: int) -> int:
    return (await client.get(f"/api/inventory/{product_id}", headers=headers)).json()["stock"]


@pytest.fixture
async def stocked(
    client: httpx.AsyncClient, admin: dict[str, str], new_product_id: Callable[[], int]
) -> Callable[..., object]:
    """Create products with the given stock levels; returns their ids."""

    async def make(*levels: int) -> list[int]:
        ids = []
        for level in levels:
            pid = new_product_id()
            response = await client.post("/api/inventory", json={"product_id": pid, "stock": level}, headers=admin)
            assert response.status_code == 200
            ids.append(pid)
        return ids

    return make


def basket(reference: str, *lines: tuple[int, int]) -> dict[str, object]:
    return {"reference": reference, "items": [{"product_id": pid, "quantity": qty} for pid, qty in lines]}


class TestReserve:
    async def test_takes_every_item_and_records_movements(
        self, client: httpx.AsyncClient, service: dict[str, str], stocked, database_url: str
    ) -> None:
        a, b = await stocked(5, 5)
        response = await client.post(RESERVE, json=basket("order-1", (b, 2), (a, 3)), headers=service)
        assert response.status_code == 201
        body = response.json()
        assert body["reference"] == "order-1"
        assert body["status"] == "committed"
        assert body["items"] == [{"product_id": a, "quantity": 3}, {"product_id": b, "quantity": 2}]
        assert "short" not in body
        assert {"created_at", "updated_at"} <= set(body)
        assert [await stock_of(client, service, pid) for pid in (a, b)] == [2, 3]
        rows = await fetch(
            database_url,
            "SELECT product_id, delta, reason, reference, actor FROM inventory.movements "
            "WHERE reference = 'order-1' ORDER BY product_id",
        )
        assert [tuple(row) for row in rows] == [
            (a, -3, "reservation", "order-1", "service:products-service"),
            (b, -2, "reservation", "order-1", "service:products-service"),
        ]

    async def test_same_reference_again_returns_stored_outcome_without_second_decrement(
        self, client: httpx.AsyncClient, service: dict[str, str], stocked
    ) -> None:
        (a,) = await stocked(5)
        first = await client.post(RESERVE, json=basket("order-2", (a, 2)), headers=service)
        again = await client.post(RESERVE, json=basket("order-2", (a, 2)), headers=service)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        assert await stock_of(client, service, a) == 3

    async def test_shortage_is_409_takes_nothing_and_is_remembered(
        self, client: httpx.AsyncClient, service: dict[str, str], admin: dict[str, str], stocked, new_product_id
    ) -> None:
        a, b = await stocked(5, 1)
        missing = new_product_id()
        payload = basket("order-3", (a, 2), (b, 2), (missing, 1))
        response = await client.post(RESERVE, json=payload, headers=service)
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "insufficient_stock"
        assert error["details"] == {
            "reference": "order-3",
            "short": [
                {"product_id": b, "requested": 2, "available": 1},
                {"product_id": missing, "requested": 1, "available": 0},
            ],
        }
        assert [await stock_of(client, service, pid) for pid in (a, b)] == [5, 1]
        await client.post("/api/inventory", json={"product_id": b, "stock": 10}, headers=admin)
        repeat = await client.post(RESERVE, json=payload, headers=service)
        assert repeat.status_code == 409
        assert repeat.json() == response.json()
        assert await stock_of(client, service, b) == 10
        status = await client.get(f"{RESERVE}/order-3", headers=service)
        assert status.json()["status"] == "rejected"
        assert status.json()["short"] == error["details"]["short"]

    async def test_same_reference_with_other_items_is_reference_conflict(
        self, client: httpx.AsyncClient, service: dict[str, str], stocked
    ) -> None:
        (a,) = await stocked(5)
        await client.post(RESERVE, json=basket("order-4", (a, 1)), headers=service)
        response = await client.post(RESERVE, json=basket("order-4", (a, 2)), headers=service)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "reference_conflict"
        assert await stock_of(client, service, a) == 4

    async def test_item_order_does_not_make_a_different_request(
        self, client: httpx.AsyncClient, service: dict[str, str], stocked
    ) -> None:
        a, b = await stocked(5, 5)
        await client.post(RESERVE, json=basket("order-5", (a, 1), (b, 1)), headers=service)
        response = await client.post(RESERVE, json=basket("order-5", (b, 1), (a, 1)), headers=service)
        assert response.status_code == 200

    async def test_admin_may_reserve_through_the_alias(
        self, client: httpx.AsyncClient, admin: dict[str, str], stocked
    ) -> None:
        (a,) = await stocked(2)
        response = await client.post("/inventory/reservations", json=basket("order-6", (a, 2)), headers=admin)
        assert response.status_code == 201
        assert await stock_of(client, admin, a) == 0


class TestRelease:
    async def test_puts_units_back_exactly_once(
        self, client: httpx.AsyncClient, service: dict[str, str], stocked, database_url: str
    ) -> None:
        a, b = await stocked(4, 4)
        await client.post(RESERVE, json=basket("order-10", (a, 3), (b, 1)), headers=service)
        first = await client.post(f"{RESERVE}/order-10/release", json={"reason": "cancel"}, headers=service)
        second = await client.post(f"{RESERVE}/order-10/release", headers=service)
        assert first.status_code == second.status_code == 200
        assert first.json()["status"] == second.json()["status"] == "released"
        assert [await stock_of(client, service, pid) for pid in (a, b)] == [4, 4]
        rows = await fetch(
            database_url,
            "SELECT delta, reason FROM inventory.movements WHERE reference = 'order-10' AND delta > 0",
        )
        assert sorted(tuple(row) for row in rows) == [(1, "cancel"), (3, "cancel")]

    async def test_released_reference_cannot_reserve_again(
        self, client: httpx.AsyncClient, service: dict[str, str], stocked
    ) -> None:
        (a,) = await stocked(4)
        await client.post(RESERVE, json=basket("order-11", (a, 1)), headers=service)
        await client.post(f"{RESERVE}/order-11/release", headers=service)
        response = await client.post(RESERVE, json=basket("order-11", (a, 1)), headers=service)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "reservation_released"
        assert await stock_of(client, service, a) == 4

    async def test_unknown_reference_is_tombstoned_and_refused_later(
        self, client: httpx.AsyncClient, service: dict[str, str], stocked
    ) -> None:
        (a,) = await stocked(4)
        response = await client.post(f"{RESERVE}/order-12/release", json={"reason": "compensation"}, headers=service)
        assert response.status_code == 200
        assert response.json()["status"] == "released"
        assert response.json()["items"] == []
        late = await client.post(RESERVE, json=basket("order-12", (a, 1)), headers=service)
        assert late.status_code == 409
        assert late.json()["error"]["code"] == "reservation_released"
        assert await stock_of(client, service, a) == 4

    async def test_releasing_a_rejected_reservation_gives_nothing_back(
        self, client: httpx.AsyncClient, service: dict[str, str], stocked, database_url: str
    ) -> None:
        (a,) = await stocked(1)
        await client.post(RESERVE, json=basket("order-13", (a, 2)), headers=service)
        response = await client.post(f"{RESERVE}/order-13/release", headers=service)
        assert response.json()["status"] == "released"
        assert response.json()["short"] == [{"product_id": a, "requested": 2, "available": 1}]
        assert await stock_of(client, service, a) == 1
        assert await fetch(database_url, "SELECT 1 FROM inventory.movements WHERE reference = 'order-13'") == []

    async def test_status_of_unknown_reference_is_404(self, client: httpx.AsyncClient, service: dict[str, str]) -> None:
        response = await client.get(f"{RESERVE}/never-seen", headers=service)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


class TestAuthorization:
    @pytest.mark.parametrize(
        ("method", "path"),
        [("POST", RESERVE), ("GET", f"{RESERVE}/x"), ("POST", f"{RESERVE}/x/release")],
    )
    async def test_no_token_is_401_and_user_token_is_403(
        self, client: httpx.AsyncClient, user: dict[str, str], method: str, path: str, database_url: str
    ) -> None:
        body = basket("x", (1, 1)) if path == RESERVE else None
        assert (await client.request(method, path, json=body)).status_code == 401
        response = await client.request(method, path, json=body, headers=user)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
        assert await fetch(database_url, "SELECT 1 FROM inventory.reservations WHERE reference = 'x'") == []


class TestBadInput:
    @pytest.mark.parametrize(
        ("payload", "needle"),
        [
            ({"reference": "r", "items": []}, "items"),
            ({"reference": "r", "items": [{"product_id": 1, "quantity": 0}]}, "quantity"),
            ({"reference": "r", "items": [{"product_id": 1, "quantity": -1}]}, "quantity"),
            ({"reference": "r", "items": [{"product_id": 1, "quantity": 1_000_000_001}]}, "quantity"),
            ({"reference": "r", "items": [{"product_id": "one", "quantity": 1}]}, "product_id"),
            ({"reference": "r", "items": [{"product_id": 1, "quantity": 1}, {"product_id": 1, "quantity": 2}]}, "once"),
            ({"reference": "r", "items": [{"product_id": pid, "quantity": 1} for pid in range(1, 102)]}, "items"),
            ({"reference": "", "items": [{"product_id": 1, "quantity": 1}]}, "reference"),
            ({"reference": "has space", "items": [{"product_id": 1, "quantity": 1}]}, "reference"),
            ({"reference": "x" * 65, "items": [{"product_id": 1, "quantity": 1}]}, "reference"),
            ({"items": [{"product_id": 1, "quantity": 1}]}, "reference"),
        ],
    )
    async def test_invalid_reservation_is_422_and_writes_nothing(
        self, client: httpx.AsyncClient, service: dict[str, str], payload: object, needle: str, database_url: str
    ) -> None:
        response = await client.post(RESERVE, json=payload, headers=service)
        assert response.status_code == 422
        assert needle in response.json()["error"]["message"]
        assert await fetch(database_url, "SELECT 1 FROM inventory.reservations WHERE reference IN ('r', '')") == []

    async def test_unknown_release_reason_is_422(self, client: httpx.AsyncClient, service: dict[str, str]) -> None:
        response = await client.post(f"{RESERVE}/abc/release", json={"reason": "lost"}, headers=service)
        assert response.status_code == 422
        assert (await client.get(f"{RESERVE}/abc", headers=service)).status_code == 404

    async def test_reference_path_with_bad_characters_is_422(
        self, client: httpx.AsyncClient, service: dict[str, str]
    ) -> None:
        assert (await client.get(f"{RESERVE}/a%20b", headers=service)).status_code == 422


async def test_ledger_invariant_holds_after_this_module(client: httpx.AsyncClient, database_url: str) -> None:
    assert await ledger_violations(database_url) == []
