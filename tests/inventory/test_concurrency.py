"""Reservations under real concurrency: the service as 2 uvicorn workers, many requests at once."""

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.inventory.support import event_violations, fetch, ledger_violations
from tests.support.processes import ServiceProcess
from tests.support.tokens import TokenFactory, bearer


@pytest.fixture(scope="module")
def inventory_url(database_url: str, tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"DATABASE_URL": database_url, "JWT_PUBLIC_KEY": tokens.public_pem, "LOG_LEVEL": "WARNING"}
    process = ServiceProcess.service("inventory", workers=2, env=env, log_dir=tmp_path_factory.mktemp("inventory"))
    process.start(timeout=90)  # generous: other suites may be loading the machine
    try:
        yield process.url
    finally:
        process.stop()


@pytest.fixture(scope="module")
async def http(inventory_url: str, tokens: TokenFactory) -> AsyncIterator[httpx.AsyncClient]:
    # Idle connections expire before uvicorn (5 s) closes them, so no request lands on a closing socket.
    limits = httpx.Limits(max_connections=250, max_keepalive_connections=250, keepalive_expiry=1)
    headers = bearer(tokens.service("products-service"))
    async with httpx.AsyncClient(base_url=inventory_url, limits=limits, timeout=60, headers=headers) as client:
        yield client


async def set_stock(http: httpx.AsyncClient, product_id: int, stock: int) -> None:
    response = await http.post("/api/inventory", json={"product_id": product_id, "stock": stock})
    assert response.status_code == 200, response.text


async def stock_of(http: httpx.AsyncClient, product_id: int) -> int:
    return (await http.get(f"/api/inventory/{product_id}")).json()["stock"]


def reservation(reference: str, lines: list[tuple[int, int]]) -> dict[str, object]:
    return {"reference": reference, "items": [{"product_id": pid, "quantity": qty} for pid, qty in lines]}


async def test_200_single_unit_reservations_on_stock_50_sell_exactly_50(
    http: httpx.AsyncClient, database_url: str
) -> None:
    product_id = 501
    await set_stock(http, product_id, 50)
    responses = await asyncio.gather(
        *(http.post("/api/inventory/reservations", json=reservation(f"one-{n}", [(product_id, 1)])) for n in range(200))
    )
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 50, 409: 150}
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"insufficient_stock"}
    assert await stock_of(http, product_id) == 0
    assert await ledger_violations(database_url) == []
    assert await event_violations(database_url) == []


async def test_100_random_baskets_in_random_order_keep_the_ledger_exact(
    http: httpx.AsyncClient, database_url: str
) -> None:
    products = [601, 602, 603, 604, 605]
    initial = 40
    for product_id in products:
        await set_stock(http, product_id, initial)
    rng = random.Random(20261124)
    baskets = []
    for n in range(100):
        lines = [(pid, rng.randint(1, 4)) for pid in rng.sample(products, rng.randint(1, len(products)))]
        baskets.append(reservation(f"basket-{n}", lines))  # lines in random product order on purpose
    responses = await asyncio.gather(*(http.post("/api/inventory/reservations", json=b) for b in baskets))

    assert {response.status_code for response in responses} <= {201, 409}, [
        r.text for r in responses if r.status_code >= 500
    ]
    committed = Counter()
    for basket, response in zip(baskets, responses, strict=True):
        if response.status_code == 201:
            for line in basket["items"]:
                committed[line["product_id"]] += line["quantity"]
    assert 0 < sum(1 for r in responses if r.status_code == 201) < 100
    for product_id in products:
        assert await stock_of(http, product_id) == initial - committed[product_id]
    assert await ledger_violations(database_url) == []
    assert await event_violations(database_url) == []
    rows = await fetch(
        database_url,
        "SELECT status, count(*) FROM inventory.reservations WHERE reference LIKE 'basket-%' GROUP BY status",
    )
    assert dict(rows) == {"committed": statuses(responses, 201), "rejected": statuses(responses, 409)}


def statuses(responses: list[httpx.Response], code: int) -> int:
    return sum(1 for response in responses if response.status_code == code)


async def test_same_reference_20_times_at_once_takes_once_and_releases_once(
    http: httpx.AsyncClient, database_url: str
) -> None:
    product_id = 701
    await set_stock(http, product_id, 10)
    body = reservation("same-ref", [(product_id, 3)])
    responses = await asyncio.gather(*(http.post("/api/inventory/reservations", json=body) for _ in range(20)))
    assert Counter(response.status_code for response in responses) == {201: 1, 200: 19}
    assert len({response.text for response in responses}) == 1
    assert await stock_of(http, product_id) == 7

    releases = await asyncio.gather(
        *(http.post("/api/inventory/reservations/same-ref/release", json={"reason": "compensation"}) for _ in range(20))
    )
    assert {response.status_code for response in releases} == {200}
    assert await stock_of(http, product_id) == 10
    rows = await fetch(database_url, "SELECT delta FROM inventory.movements WHERE reference = 'same-ref' ORDER BY id")
    assert [row["delta"] for row in rows] == [-3, 3]
    assert await ledger_violations(database_url) == []
    assert await event_violations(database_url) == []


async def test_release_racing_a_late_reservation_never_loses_or_invents_units(
    http: httpx.AsyncClient, database_url: str
) -> None:
    product_id = 801
    await set_stock(http, product_id, 100)
    calls = []
    for n in range(40):
        reference = f"race-{n}"
        calls.append(http.post("/api/inventory/reservations", json=reservation(reference, [(product_id, 2)])))
        calls.append(http.post(f"/api/inventory/reservations/{reference}/release"))
    responses = await asyncio.gather(*calls)
    assert all(response.status_code < 500 for response in responses)
    rows = await fetch(
        database_url,
        "SELECT status, count(*) FROM inventory.reservations WHERE reference LIKE 'race-%' GROUP BY status",
    )
    assert dict(rows) == {"released": 40}
    assert await stock_of(http, product_id) == 100
    assert await ledger_violations(database_url) == []
    assert await event_violations(database_url) == []


async def test_concurrent_changes_of_every_kind_on_one_product_take_every_version_once(
    http: httpx.AsyncClient, database_url: str
) -> None:
    """Entries, exits, sets, reservations and releases at once: one event per change, versions in order."""
    product_id = 901
    await set_stock(http, product_id, 1000)
    moves = [{"product_id": product_id, "type": kind, "quantity": 1} for kind in ["in"] * 20 + ["out"] * 10]
    sets = [{"product_id": product_id, "stock": 500 + n} for n in range(5)]
    calls = [http.post("/api/inventory", json=body) for body in moves + sets]
    for n in range(10):
        reference = f"kinds-{n}"
        calls.append(http.post("/api/inventory/reservations", json=reservation(reference, [(product_id, 2)])))
        calls.append(http.post(f"/api/inventory/reservations/{reference}/release"))
    responses = await asyncio.gather(*calls)
    # A release that came first leaves a tombstone, and its reservation is refused: that changes nothing.
    refused = [r for r in responses if r.status_code >= 300]
    assert all(r.json()["error"]["code"] == "reservation_released" for r in refused), [r.text for r in refused]
    rows = await fetch(database_url, "SELECT version FROM inventory.inventory WHERE product_id = $1", product_id)
    moved = await fetch(database_url, "SELECT count(*) FROM inventory.movements WHERE product_id = $1", product_id)
    assert rows[0]["version"] == moved[0]["count"]  # the first set made the row at 1, then +1 per movement
    assert await ledger_violations(database_url) == []
    assert await event_violations(database_url) == []
