"""A reservation decides in one statement (reservations/repository.py reserve_all): no savepoint, nothing to undo."""

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from microshop.inventory.app import create_app
from microshop.inventory.config import InventorySettings
from tests.inventory.reservations.test_deadlock import wait_until_blocked
from tests.inventory.support import fetch, ledger_violations, stock_changes, stock_row
from tests.support.apps import app_client, make_settings
from tests.support.postgres import asyncpg_dsn
from tests.support.tokens import TokenFactory

RESERVE = "/api/inventory/reservations"


@dataclass
class Inventory:
    app: FastAPI
    client: httpx.AsyncClient


@pytest.fixture(scope="module")
async def inventory(database_url: str, tokens: TokenFactory) -> AsyncIterator[Inventory]:
    app = create_app(make_settings(InventorySettings, database_url=database_url, jwt_public_key=tokens.public_pem))
    async with app_client(app) as client:
        yield Inventory(app, client)


@pytest.fixture
async def stocked(inventory: Inventory, admin: dict[str, str], new_product_id: Callable[[], int]) -> Any:
    async def make(*levels: int) -> list[int]:
        ids = sorted(new_product_id() for _ in levels)
        for product_id, level in zip(ids, levels, strict=True):
            body = {"product_id": product_id, "stock": level}
            assert (await inventory.client.post("/api/inventory", json=body, headers=admin)).status_code == 200
        return ids

    return make


def basket(reference: str, *lines: tuple[int, int]) -> dict[str, object]:
    return {"reference": reference, "items": [{"product_id": pid, "quantity": qty} for pid, qty in lines]}


async def statements_of(inventory: Inventory, body: dict[str, object], headers: dict[str, str]) -> list[str]:
    """The first word of every statement the request sent (not the background relay's), and its status."""
    sent: list[str] = []
    task = asyncio.current_task()

    def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if asyncio.current_task() is task:
            sent.append(statement.split()[0].upper())

    engine = inventory.app.state.engine.sync_engine
    event.listen(engine, "after_cursor_execute", record)
    try:
        response = await inventory.client.post(RESERVE, json=body, headers=headers)
    finally:
        event.remove(engine, "after_cursor_execute", record)
    return [str(response.status_code), *sent]


class TestStatements:
    async def test_a_reservation_is_one_statement_and_one_event_per_item(
        self, inventory: Inventory, service: dict[str, str], stocked: Any
    ) -> None:
        a, b = await stocked(5, 5)
        assert await statements_of(inventory, basket("one-stmt-1", (a, 1)), service) == ["201", "WITH", "INSERT"]
        two = basket("one-stmt-2", (a, 1), (b, 2))
        assert await statements_of(inventory, two, service) == ["201", "WITH", "INSERT", "INSERT"]

    async def test_a_rejection_is_one_statement_and_its_own_record(
        self, inventory: Inventory, service: dict[str, str], stocked: Any
    ) -> None:
        (a,) = await stocked(1)
        # The rejected reservation is inserted in a transaction of its own, on its own pool's engine.
        assert await statements_of(inventory, basket("one-stmt-3", (a, 2)), service) == ["409", "WITH"]

    async def test_a_replay_takes_nothing(self, inventory: Inventory, service: dict[str, str], stocked: Any) -> None:
        (a,) = await stocked(5)
        body = basket("one-stmt-4", (a, 2))
        assert (await inventory.client.post(RESERVE, json=body, headers=service)).status_code == 201
        assert await statements_of(inventory, body, service) == ["200", "WITH", "SELECT", "SELECT"]


async def test_a_retry_after_the_reservation_took_the_last_units_answers_it_with_the_levels(
    inventory: Inventory, service: dict[str, str], stocked: Any
) -> None:
    """The usual retry (the first answer was lost): stock now looks short, yet the reference committed."""
    (a,) = await stocked(2)
    body = basket("one-stmt-last", (a, 2))
    first = await inventory.client.post(RESERVE, json=body, headers=service)
    assert first.status_code == 201, first.text
    again = await inventory.client.post(RESERVE, json=body, headers=service)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "committed"
    assert [(level["product_id"], level["stock"]) for level in again.json()["levels"]] == [(a, 0)]


async def test_stock_taken_while_the_reservation_waits_for_its_rows_is_a_rejection_that_changed_nothing(
    inventory: Inventory, service: dict[str, str], stocked: Any, database_url: str
) -> None:
    """The snapshot said enough; the locked rows say short: nothing taken, nothing claimed, the 409 says
    what was there once the rows were its own, and the rejection is recorded."""
    a, b = await stocked(5, 5)
    other = await asyncpg.connect(asyncpg_dsn(database_url))
    observer = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        transaction = other.transaction()
        await transaction.start()
        await other.execute("SELECT 1 FROM inventory.inventory WHERE product_id = $1 FOR UPDATE", b)
        body = basket("one-stmt-race", (a, 2), (b, 4))
        reservation = asyncio.create_task(inventory.client.post(RESERVE, json=body, headers=service))
        await wait_until_blocked(observer)  # it holds `a` and waits for `b`
        await other.execute("UPDATE inventory.inventory SET stock = 3, version = version + 1 WHERE product_id = $1", b)
        await other.execute(
            "INSERT INTO inventory.movements (product_id, delta, reason, actor) VALUES ($1, -2, 'exit', 'test')", b
        )
        await transaction.commit()
        response = await reservation
    finally:
        await other.close()
        await observer.close()

    assert response.status_code == 409, response.text
    assert response.json()["error"]["details"]["short"] == [{"product_id": b, "requested": 4, "available": 3}]
    assert [await stock_row(database_url, pid) for pid in (a, b)] == [(5, 1), (3, 2)]
    assert await fetch(database_url, "SELECT 1 FROM inventory.movements WHERE reference = 'one-stmt-race'") == []
    rows = await fetch(database_url, "SELECT status FROM inventory.reservations WHERE reference = 'one-stmt-race'")
    assert [row["status"] for row in rows] == ["rejected"]
    assert await stock_changes(database_url, a) == [(5, 1)]
    assert await ledger_violations(database_url) == []
