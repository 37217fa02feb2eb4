"""Every stock change records one inventory.stock.changed event, with the new stock and version, in its transaction."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from microshop.common.db import create_engine, make_sessionmaker
from microshop.inventory.reservations import service as reservations
from microshop.inventory.reservations.schemas import ReservationCreate
from microshop.inventory.stock import service as stock
from microshop.inventory.stock.schemas import StockEntry
from tests.inventory.support import event_violations, fetch, ledger_violations, stock_changes, stock_row

RESERVE = "/api/inventory/reservations"


async def write(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, object]) -> httpx.Response:
    return await client.post("/api/inventory", json=body, headers=headers)


async def set_stock(client: httpx.AsyncClient, headers: dict[str, str], product_id: int, level: int) -> None:
    response = await write(client, headers, {"product_id": product_id, "stock": level})
    assert response.status_code == 200, response.text


def basket(reference: str, *lines: tuple[int, int]) -> dict[str, object]:
    return {"reference": reference, "items": [{"product_id": pid, "quantity": qty} for pid, qty in lines]}


class TestSets:
    async def test_each_set_records_the_new_stock_and_the_next_version(
        self, client: httpx.AsyncClient, admin: dict[str, str], product_id: int, database_url: str
    ) -> None:
        await set_stock(client, admin, product_id, 100)
        assert await stock_changes(database_url, product_id) == [(100, 1)]
        await set_stock(client, admin, product_id, 40)
        await set_stock(client, admin, product_id, 40)  # unchanged: no movement, no event
        response = await client.put(f"/api/inventory/{product_id}", json={"stock": 12}, headers=admin)
        assert response.status_code == 200
        assert await stock_changes(database_url, product_id) == [(100, 1), (40, 2), (12, 3)]
        assert await stock_row(database_url, product_id) == (12, 3)

    async def test_setting_zero_on_a_new_product_creates_its_row_at_version_1_without_an_event(
        self, client: httpx.AsyncClient, admin: dict[str, str], product_id: int, database_url: str
    ) -> None:
        """No row already reads as stock 0, so nothing changed that a reader could see."""
        await set_stock(client, admin, product_id, 0)
        assert await stock_changes(database_url, product_id) == []
        assert await stock_row(database_url, product_id) == (0, 1)
        await set_stock(client, admin, product_id, 5)
        assert await stock_changes(database_url, product_id) == [(5, 2)]


class TestEntriesAndExits:
    async def test_an_entry_and_an_exit_record_one_event_each(
        self, client: httpx.AsyncClient, admin: dict[str, str], product_id: int, database_url: str
    ) -> None:
        assert (await write(client, admin, {"product_id": product_id, "type": "in", "quantity": 10})).status_code == 200
        assert (await write(client, admin, {"product_id": product_id, "type": "in", "quantity": 5})).status_code == 200
        exit_ = {"product_id": product_id, "type": "out", "quantity": 4, "reason": "damaged"}
        assert (await write(client, admin, exit_)).status_code == 200
        assert await stock_changes(database_url, product_id) == [(10, 1), (15, 2), (11, 3)]
        assert await stock_row(database_url, product_id) == (11, 3)

    async def test_an_exit_beyond_stock_records_nothing(
        self, client: httpx.AsyncClient, admin: dict[str, str], product_id: int, database_url: str
    ) -> None:
        await set_stock(client, admin, product_id, 3)
        response = await write(client, admin, {"product_id": product_id, "type": "out", "quantity": 5})
        assert response.status_code == 409
        assert await stock_changes(database_url, product_id) == [(3, 1)]
        assert await stock_row(database_url, product_id) == (3, 1)
        unknown = product_id + 1_000_000
        assert (await write(client, admin, {"product_id": unknown, "type": "out", "quantity": 1})).status_code == 409
        assert await stock_changes(database_url, unknown) == []


class TestReservations:
    async def test_a_reservation_records_one_event_per_item_taken(
        self, client: httpx.AsyncClient, admin: dict[str, str], service: dict[str, str], new_product_id, database_url
    ) -> None:
        a, b, c = new_product_id(), new_product_id(), new_product_id()
        for pid in (a, b, c):
            await set_stock(client, admin, pid, 5)
        response = await client.post(RESERVE, json=basket("ev-order-1", (c, 5), (a, 3), (b, 2)), headers=service)
        assert response.status_code == 201
        assert [await stock_changes(database_url, pid) for pid in (a, b, c)] == [
            [(5, 1), (2, 2)],
            [(5, 1), (3, 2)],
            [(5, 1), (0, 2)],
        ]
        again = await client.post(RESERVE, json=basket("ev-order-1", (a, 3), (b, 2), (c, 5)), headers=service)
        assert again.status_code == 200  # the stored outcome: nothing taken twice, nothing announced twice
        assert [len(await stock_changes(database_url, pid)) for pid in (a, b, c)] == [2, 2, 2]

    async def test_a_rejected_reservation_records_nothing(
        self, client: httpx.AsyncClient, admin: dict[str, str], service: dict[str, str], new_product_id, database_url
    ) -> None:
        a, b = new_product_id(), new_product_id()
        for pid in (a, b):
            await set_stock(client, admin, pid, 2)
        for _ in range(2):  # the first call and its replay
            response = await client.post(RESERVE, json=basket("ev-short", (a, 1), (b, 9)), headers=service)
            assert response.status_code == 409
        assert [await stock_changes(database_url, pid) for pid in (a, b)] == [[(2, 1)], [(2, 1)]]
        assert [await stock_row(database_url, pid) for pid in (a, b)] == [(2, 1), (2, 1)]

    async def test_a_release_records_one_event_per_item_returned_and_only_once(
        self, client: httpx.AsyncClient, admin: dict[str, str], service: dict[str, str], new_product_id, database_url
    ) -> None:
        a, b = new_product_id(), new_product_id()
        for pid in (a, b):
            await set_stock(client, admin, pid, 4)
        assert (await client.post(RESERVE, json=basket("ev-rel", (a, 1), (b, 4)), headers=service)).status_code == 201
        for _ in range(2):  # the second release answers the stored outcome and returns nothing
            response = await client.post(f"{RESERVE}/ev-rel/release", json={"reason": "cancel"}, headers=service)
            assert response.status_code == 200
        assert [await stock_changes(database_url, pid) for pid in (a, b)] == [
            [(4, 1), (3, 2), (4, 3)],
            [(4, 1), (0, 2), (4, 3)],
        ]

    async def test_releasing_a_rejected_or_unknown_reference_records_nothing(
        self, client: httpx.AsyncClient, admin: dict[str, str], service: dict[str, str], product_id: int, database_url
    ) -> None:
        await set_stock(client, admin, product_id, 1)
        assert (await client.post(RESERVE, json=basket("ev-rej", (product_id, 2)), headers=service)).status_code == 409
        for reference in ("ev-rej", "ev-never-seen"):
            response = await client.post(f"{RESERVE}/{reference}/release", headers=service)
            assert response.status_code == 200
        assert await stock_changes(database_url, product_id) == [(1, 1)]
        assert await fetch(database_url, "SELECT 1 FROM inventory.outbox WHERE subject NOT LIKE 'product:%'") == []


class TestSnapshot:
    async def test_reads_carry_the_version_of_the_last_event(
        self, client: httpx.AsyncClient, admin: dict[str, str], user: dict[str, str], new_product_id, database_url
    ) -> None:
        ids = [new_product_id() for _ in range(3)]
        for changes, pid in enumerate(ids):
            for level in range(changes + 1):
                await set_stock(client, admin, pid, level + 1)
        one = (await client.get(f"/api/inventory/{ids[2]}", headers=user)).json()
        assert set(one) == {"product_id", "stock", "updated_at", "version"}
        assert (one["stock"], one["version"]) == (3, 3)
        query = ",".join(map(str, reversed(ids)))
        page = (await client.get(f"/api/inventory?product_ids={query}", headers=user)).json()
        assert [(item["product_id"], item["stock"], item["version"]) for item in page["items"]] == [
            (ids[0], 1, 1),
            (ids[1], 2, 2),
            (ids[2], 3, 3),
        ]
        for item in page["items"]:
            assert (await stock_changes(database_url, item["product_id"]))[-1] == (item["stock"], item["version"])
        listed = (await client.get("/api/inventory?page_size=100", headers=user)).json()["items"]
        assert [item["product_id"] for item in listed] == sorted(item["product_id"] for item in listed)
        assert all(item["version"] >= 1 for item in listed)


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions of our own, to call the services directly and roll their transaction back."""
    engine = create_engine(database_url, pool_size=2)
    yield make_sessionmaker(engine)
    await engine.dispose()


COUNTS = text(
    "SELECT (SELECT count(*) FROM inventory.movements WHERE product_id = :pid),"
    " (SELECT count(*) FROM inventory.outbox WHERE subject = :subject)"
)


class TestOneTransaction:
    async def test_a_change_rolled_back_leaves_neither_its_movement_nor_its_event(
        self,
        client: httpx.AsyncClient,
        admin: dict[str, str],
        service: dict[str, str],
        new_product_id: Callable[[], int],
        sessions: async_sessionmaker[AsyncSession],
        database_url: str,
    ) -> None:
        pid, other = new_product_id(), new_product_id()
        await set_stock(client, admin, pid, 10)
        await set_stock(client, admin, other, 10)
        reserved = basket("ev-tx-committed", (pid, 1), (other, 1))
        assert (await client.post(RESERVE, json=reserved, headers=service)).status_code == 201
        before = (await stock_changes(database_url, pid), await stock_changes(database_url, other))
        movements = len(await fetch(database_url, "SELECT 1 FROM inventory.movements WHERE product_id = $1", pid))
        actor = "user:1"
        changes: dict[str, Callable[[AsyncSession], Awaitable[object]]] = {
            "set": lambda s: stock.set_stock(s, product_id=pid, stock=3, actor=actor),
            "entry": lambda s: stock.record_entry(
                s, entry=StockEntry(product_id=pid, type="in", quantity=2), actor=actor
            ),
            "exit": lambda s: stock.record_entry(
                s, entry=StockEntry(product_id=pid, type="out", quantity=2), actor=actor
            ),
            "reservation": lambda s: reservations.reserve(
                s, request=ReservationCreate.model_validate(basket("ev-tx", (pid, 1), (other, 1))), actor=actor
            ),
            "release": lambda s: reservations.release(s, reference="ev-tx-committed", reason="cancel", actor=actor),
        }
        for kind, change in changes.items():
            async with sessions() as session:
                await change(session)
                # Inside the transaction: the event is there beside the movement ...
                recorded = (await session.execute(COUNTS, {"pid": pid, "subject": f"product:{pid}"})).one()
                assert tuple(recorded) == (movements + 1, len(before[0]) + 1), kind
                await session.rollback()
            # ... and gone with it.
            assert (await stock_changes(database_url, pid), await stock_changes(database_url, other)) == before, kind
            assert await ledger_violations(database_url) == [], kind


async def test_concurrent_entries_take_every_version_once_in_order(
    client: httpx.AsyncClient, admin: dict[str, str], product_id: int, database_url: str
) -> None:
    assert (await write(client, admin, {"product_id": product_id, "type": "in", "quantity": 1})).status_code == 200
    entry = {"product_id": product_id, "type": "in", "quantity": 1}
    responses = await asyncio.gather(*(write(client, admin, entry) for _ in range(20)))
    assert [response.status_code for response in responses] == [200] * 20
    # Outbox order (the relay's publishing order) is version order: each event is written under its row's lock.
    changes = await stock_changes(database_url, product_id)
    assert [version for _, version in changes] == list(range(1, 22))
    assert all(level == version for level, version in changes)  # one unit per change
    assert changes[-1] == await stock_row(database_url, product_id) == (21, 21)
    assert await ledger_violations(database_url) == []
    assert await event_violations(database_url) == []
