"""Events when things fail, over real processes: the broker down, Products killed, Inventory stopped.

The module runs its own system on its own database and its own throwaway NATS, since its tests
stop them. Each test leaves the system running (what it stopped is restarted in `finally`), and
ends with the read model converged and each outbox row in the stream exactly once.
"""

import asyncio
import itertools
import json
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import nats
import pytest
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerInfo
from nats.js.errors import NotFoundError

from microshop.common.events.envelope import Event
from microshop.devtools.embedded_db import free_port
from microshop.devtools.embedded_nats import EmbeddedNats
from microshop.products.stock.service import STOCK_CHANGED
from tests.e2e.support import ensure_running, new_user
from tests.support.apps import events_namespace_for
from tests.support.broker import throwaway_server
from tests.support.postgres import TestPostgres
from tests.support.processes import ServiceProcess
from tests.support.system import System, start_system
from tests.support.tokens import TokenFactory, bearer

pytestmark = pytest.mark.e2e

DATABASE = "microshop_event_failures"
CONVERGE_SECONDS = 30
_admin_ids = itertools.count(950_000)


@dataclass
class Shop:
    system: System
    broker: EmbeddedNats
    database_url: str
    tokens: TokenFactory
    work_dir: Path

    def admin(self) -> dict[str, str]:
        return bearer(self.tokens.admin(next(_admin_ids)))

    async def fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        connection = await asyncpg.connect(self.system.database_dsn)
        try:
            return await connection.fetch(sql, *args)
        finally:
            await connection.close()

    async def unsent(self) -> int:
        return int((await self.fetch("SELECT count(*) AS n FROM inventory.outbox WHERE sent_at IS NULL"))[0]["n"])

    async def divergence(self) -> list[str]:
        """What keeps the read model from matching Inventory (empty when converged), and ledger mismatches."""
        rows = await self.fetch(
            """
            SELECT coalesce(i.product_id, s.product_id) AS product_id, i.stock, i.version,
                   s.stock AS read_stock, s.version AS read_version,
                   (SELECT coalesce(sum(m.delta), 0) FROM inventory.movements m WHERE m.product_id = i.product_id)
                   AS ledger
            FROM inventory.inventory i FULL OUTER JOIN products.stock_levels s ON s.product_id = i.product_id
            ORDER BY 1
            """
        )
        return [
            str(dict(row))
            for row in rows
            if (row["stock"], row["version"]) != (row["read_stock"], row["read_version"])
            or row["stock"] != row["ledger"]
        ]

    async def converged(self, timeout: float = CONVERGE_SECONDS) -> None:
        """Until every product's read-model stock and version equal Inventory's, and the outbox is all sent."""
        await eventually(lambda: self._converged_now(), timeout, self._state)

    async def _converged_now(self) -> bool:
        return await self.unsent() == 0 and not await self.divergence()

    async def _state(self) -> str:
        return f"unsent={await self.unsent()} divergent={await self.divergence()}"

    async def stock_consumer(self) -> ConsumerInfo:
        """The broker's record of Products' durable stock consumer."""
        namespace = events_namespace_for(self.database_url)
        client = await nats.connect(self.broker.url, connect_timeout=5, allow_reconnect=False)
        try:
            return await client.jetstream().consumer_info(f"{namespace.upper()}_INVENTORY", "products-stock-levels")
        finally:
            await client.close()

    async def stream_ids(self) -> list[str]:
        """The event id of every message in this shop's INVENTORY stream."""
        namespace = events_namespace_for(self.database_url)
        client = await nats.connect(self.broker.url, connect_timeout=5, allow_reconnect=False)
        try:
            js = client.jetstream()
            stream = f"{namespace.upper()}_INVENTORY"
            info = await js.stream_info(stream)
            ids = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                try:
                    message = await js.get_msg(stream, seq)
                except NotFoundError:  # deleted: the poison test removes what it published
                    continue
                ids.append(json.loads(message.data or b"{}")["id"])
            assert len(ids) == info.state.messages
            return ids
        finally:
            await client.close()

    async def each_event_published_once(self) -> None:
        """The stream holds each outbox row once: no event lost, none stored twice."""
        outbox = {str(row["id"]) for row in await self.fetch("SELECT id FROM inventory.outbox")}
        ids = await self.stream_ids()
        assert len(ids) == len(set(ids)), "an event is in the stream twice"
        assert set(ids) == outbox

    async def create_products(self, stocks: list[int]) -> list[int]:
        ids = []
        async with httpx.AsyncClient(base_url=self.system.products.url, timeout=30) as client:
            for n, stock in enumerate(stocks):
                body = {"name": f"Failure lamp {n}", "price": "10.00", "stock": stock}
                response = await client.post("/api/products", json=body, headers=self.admin())
                assert response.status_code == 201, response.text
                ids.append(int(response.json()["id"]))
        return ids

    async def stock_entry(self, client: httpx.AsyncClient, product_id: int, quantity: int) -> None:
        entry = {"product_id": product_id, "type": "in", "quantity": quantity, "reason": "delivery"}
        response = await client.post(f"{self.system.inventory.url}/api/inventory", json=entry, headers=self.admin())
        assert response.status_code in (200, 201), response.text


async def eventually(
    condition: Callable[[], Awaitable[bool]], timeout: float, describe: Callable[[], Awaitable[str]]
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout}s: {await describe()}")
        await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
async def shop_database(test_postgres: TestPostgres, template_database: str) -> AsyncIterator[str]:
    await test_postgres.drop_database(DATABASE)
    url = await test_postgres.create_database(DATABASE, template=template_database)
    yield url
    await test_postgres.drop_database(DATABASE)


@pytest.fixture(scope="module")
def shop_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedNats]:
    server = throwaway_server(tmp_path_factory.mktemp("failure-nats") / "data")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def shop(
    shop_database: str, shop_broker: EmbeddedNats, tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Shop]:
    work_dir = tmp_path_factory.mktemp("failure-system")
    for system in start_system(database_url=shop_database, nats_url=shop_broker.url, tokens=tokens, work_dir=work_dir):
        yield Shop(system, shop_broker, shop_database, tokens, work_dir)


async def _checkout(client: httpx.AsyncClient, product_id: int, quantity: int, tokens: TokenFactory) -> int:
    user = new_user(tokens)
    added = await client.post("/api/cart", json={"product_id": product_id, "quantity": quantity}, headers=user)
    assert added.status_code == 200, added.text
    response = await client.post("/api/cart/checkout", headers=user)
    assert response.status_code in (201, 409), response.text
    return response.status_code


async def stock_lag(client: httpx.AsyncClient) -> float:
    """The catalog's `X-Stock-Lag`: how far behind Inventory's events its stock figures are, in seconds."""
    response = await client.get("/api/products", params={"page_size": 1})
    assert response.status_code == 200, response.text
    return float(response.headers["X-Stock-Lag"])


BROKER_DOWN_SECONDS = 10


async def metric(client: httpx.AsyncClient, url: str, series: str, *, absent: float | None = None) -> float:
    """One series' value from a service's /metrics (`absent`: its value before the series first appears)."""
    text = (await client.get(f"{url}/metrics")).text
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(series + " ")]
    if not values and absent is not None:
        return absent
    assert values, f"{series} not in {url}/metrics"
    return values[0]


async def test_writes_while_the_broker_is_down_reach_the_read_model_once_it_is_back(shop: Shop) -> None:
    """The broker stopped for 10 s during 100 checkouts and admin stock edits."""
    products = await shop.create_products([5, 8, 3, 12, 6])
    await shop.converged()
    statuses: list[int] = []
    async with httpx.AsyncClient(base_url=shop.system.products.url, timeout=30) as client:
        assert await stock_lag(client) < 1.0
        try:
            await asyncio.to_thread(shop.broker.stop)
            stopped = asyncio.get_running_loop().time()
            slots = asyncio.Semaphore(4)

            async def one(n: int) -> None:
                async with slots:
                    statuses.append(await _checkout(client, products[n % 5], 1 + n % 3, shop.tokens))
                    if n % 10 == 0:
                        await shop.stock_entry(client, products[n % 5], 2)

            await asyncio.gather(*(one(n) for n in range(100)))
            await asyncio.sleep(max(0.0, BROKER_DOWN_SECONDS - (asyncio.get_running_loop().time() - stopped)))
            assert len(statuses) == 100 and statuses.count(201) > 0 and statuses.count(409) > 0, statuses
            assert await shop.unsent() > 0  # the events wait in the outbox
            # The catalog still answers, from the read model, and says how stale it may be.
            assert await stock_lag(client) >= BROKER_DOWN_SECONDS - 3
            # /metrics tells the outage too: the outbox piles up, the consumer falls behind.
            inventory = await metric(
                client, shop.system.inventory.url, 'microshop_outbox_unsent{outbox="inventory.outbox"}'
            )
            assert inventory > 0
            age = 'microshop_outbox_oldest_unsent_seconds{outbox="inventory.outbox"}'
            assert await metric(client, shop.system.inventory.url, age) >= BROKER_DOWN_SECONDS - 5
            behind = 'microshop_events_consumer_behind_seconds{consumer="products-stock-levels"}'
            assert await metric(client, shop.system.products.url, behind) >= BROKER_DOWN_SECONDS - 5
        finally:
            await asyncio.to_thread(shop.broker.start)
        await shop.converged()
        await shop.each_event_published_once()

        async def fresh_again() -> bool:
            return await stock_lag(client) < 1.0

        async def lag_now() -> str:
            return f"X-Stock-Lag {await stock_lag(client)}"

        await eventually(fresh_again, CONVERGE_SECONDS, lag_now)


async def test_products_killed_catches_up_from_its_durable_consumer(shop: Shop) -> None:
    products = await shop.create_products([1, 2])
    await shop.converged()
    before = await shop.stock_consumer()
    try:
        shop.system.products.stop(kill=True)
        async with httpx.AsyncClient(timeout=30) as client:
            for n in range(10):
                await shop.stock_entry(client, products[n % 2], n + 1)
        await eventually(lambda: _no_unsent(shop), CONVERGE_SECONDS, shop._state)
        assert await shop.divergence()  # Products, down, has not seen them
        assert (await shop.stock_consumer()).num_pending >= 10  # the broker keeps its place meanwhile
    finally:
        ensure_running(shop.system.products)
    await shop.converged()

    async def consumed_to_the_end() -> bool:
        info = await shop.stock_consumer()
        return info.num_pending == 0 and info.num_ack_pending == 0

    await eventually(consumed_to_the_end, CONVERGE_SECONDS, shop._state)
    after = await shop.stock_consumer()
    # The restarted process took the ten from where the durable consumer was: not a replay of the stream.
    delivered = after.delivered.consumer_seq - before.delivered.consumer_seq
    assert 10 <= delivered < after.delivered.stream_seq, (before, after)
    await shop.each_event_published_once()


async def _no_unsent(shop: Shop) -> bool:
    return await shop.unsent() == 0


async def test_with_inventory_stopped_the_catalog_shows_stock_and_checkout_is_503(shop: Shop) -> None:
    (product,) = await shop.create_products([4])
    await shop.converged()
    async with httpx.AsyncClient(base_url=shop.system.products.url, timeout=30) as client:
        before = await shop.fetch("SELECT stock, version FROM inventory.inventory WHERE product_id = $1", product)
        user = new_user(shop.tokens)
        added = await client.post("/api/cart", json={"product_id": product, "quantity": 1}, headers=user)
        assert added.status_code == 200, added.text
        try:
            shop.system.inventory.stop()
            page = await client.get(f"/api/products/{product}")
            assert page.status_code == 200 and page.json()["stock"] == 4, page.text
            listed = await client.get("/api/products", params={"q": "Failure lamp", "page_size": 100})
            assert listed.status_code == 200, listed.text
            assert [item["stock"] for item in listed.json()["items"] if item["id"] == product] == [4]
            checkout = await client.post("/api/cart/checkout", headers=user)
            assert checkout.status_code == 503, checkout.text
            assert checkout.json()["error"]["code"] == "inventory_unavailable"
            after = await shop.fetch("SELECT stock, version FROM inventory.inventory WHERE product_id = $1", product)
            assert after == before
            assert (await client.get(f"/api/products/{product}")).json()["stock"] == 4
        finally:
            ensure_running(shop.system.inventory)
        # The order stays pending until the recovery job (every 1 s) reserves it, with Inventory back.
        orders = (await client.get("/api/orders", headers=user)).json()["items"]
        pending = _saying("the order is still pending")
        await eventually(lambda: _settled(shop, orders[0]["id"]), CONVERGE_SECONDS, pending)
    await shop.converged()
    await shop.each_event_published_once()


async def _settled(shop: Shop, order_id: int) -> bool:
    rows = await shop.fetch("SELECT status FROM products.orders WHERE id = $1", order_id)
    return rows[0]["status"] != "pending"


_COUNTER = re.compile(
    r'^microshop_events_(applied|duplicates|redeliveries)_total\{consumer="products-stock-levels"\} ([0-9.e+]+)$',
    re.MULTILINE,
)


async def _handled(client: httpx.AsyncClient, *replicas: ServiceProcess) -> dict[str, float]:
    """The stock consumer's applied, duplicates and redeliveries, summed over the replicas."""
    totals = {"applied": 0.0, "duplicates": 0.0, "redeliveries": 0.0}
    for replica in replicas:
        metrics = (await client.get(f"{replica.url}/metrics")).text
        for name, value in _COUNTER.findall(metrics):
            totals[name] += float(value)
    return totals


def _counted(after: dict[str, float], before: dict[str, float]) -> float:
    return after["applied"] + after["duplicates"] - before["applied"] - before["duplicates"]


async def test_two_products_replicas_share_the_consumer_and_no_version_goes_back(shop: Shop) -> None:
    products = await shop.create_products([0, 0, 0])
    await shop.converged()
    port = free_port()
    replica = ServiceProcess(
        "products-replica",
        [sys.executable, "-m", "microshop.cli", "serve", "products", "--workers", "1"],
        env={**shop.system.products.env, "PRODUCTS_PORT": str(port)},
        port=port,
        log_dir=shop.work_dir / "logs",
    )
    seen: dict[int, list[int]] = {product: [] for product in products}
    changes = 24

    async def watch() -> None:
        while True:
            rows = await shop.fetch(
                "SELECT product_id, version FROM products.stock_levels WHERE product_id = ANY($1)", products
            )
            for row in rows:
                seen[row["product_id"]].append(row["version"])
            await asyncio.sleep(0.01)

    try:
        await asyncio.to_thread(replica.start)
        async with httpx.AsyncClient(timeout=30) as client:
            before = await _handled(client, shop.system.products, replica)
            watcher = asyncio.create_task(watch())
            try:
                await asyncio.gather(*(shop.stock_entry(client, products[n % 3], n + 1) for n in range(changes)))
                await shop.converged()
            finally:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)
            # The counters follow each commit by a moment (and the reconciler may have written a row
            # before its event came): wait until the replicas counted every change.
            after = await _handled(client, shop.system.products, replica)
            deadline = asyncio.get_running_loop().time() + 10
            while _counted(after, before) < changes and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.1)
                after = await _handled(client, shop.system.products, replica)
    finally:
        replica.stop()
    for product, versions in seen.items():
        assert versions == sorted(versions), (product, versions)
    delta = {name: after[name] - before[name] for name in after}
    handled = delta["applied"] + delta["duplicates"]
    # Each change handled by one replica (or, redelivered after a lost ack, once more as a duplicate).
    assert handled == changes if delta["redeliveries"] == 0 else handled >= changes, delta
    await shop.each_event_published_once()


async def test_a_poison_event_is_dead_lettered_and_the_stock_consumer_keeps_going(shop: Shop) -> None:
    """Two events Products can never apply — one unreadable, one whose data breaks the handler every time —
    land in its dead letters with the error, counted in /metrics, while the stock changes after them apply."""
    (product,) = await shop.create_products([5])
    await shop.converged()
    namespace = events_namespace_for(shop.database_url)
    products_url = shop.system.products.url
    dead_letters_series = 'microshop_events_dead_letters_total{consumer="products-stock-levels"}'
    client = await nats.connect(shop.broker.url, connect_timeout=5, allow_reconnect=False)
    try:
        js = client.jetstream()
        letters = await js.subscribe(
            f"{namespace}.deadletter.products-stock-levels", stream=f"{namespace.upper()}_DEAD_LETTERS"
        )
        async with httpx.AsyncClient(timeout=30) as http:
            before = await metric(http, products_url, dead_letters_series, absent=0.0)
            broken = {"product_id": product, "stock": -1, "version": 1_000_000}  # stock below 0: never valid
            poison = [
                await js.publish(f"{namespace}.{STOCK_CHANGED}", b"not an event"),
                await js.publish(
                    f"{namespace}.{STOCK_CHANGED}",
                    Event(type=STOCK_CHANGED, source="test", subject=f"product:{product}", data=broken).to_json(),
                ),
            ]
            try:
                # A real change after the poison reaches the catalog while the broken event is still retried.
                await shop.stock_entry(http, product, 3)
                await eventually(
                    lambda: _catalog_stock_is(http, products_url, product, 8), 15, _saying("the catalog never showed 8")
                )
                parked = await _distinct_letters(letters, len(poison))
                await eventually(
                    lambda: _metric_reaches(http, products_url, dead_letters_series, before + 2),
                    10,
                    _saying("the dead letters were not counted"),
                )
            finally:
                for ack in poison:  # the module's invariant: the stream holds exactly Inventory's outbox
                    await js.delete_msg(ack.stream, ack.seq)
        errors = {letter.data: (letter.headers or {}).get("Microshop-Error", "") for letter in parked}
        unreadable, broken_error = errors.pop(b"not an event"), errors.popitem()[1]
        assert unreadable.startswith("unreadable event"), unreadable
        assert broken_error.startswith("ValidationError") and "stock" in broken_error, broken_error
        await letters.unsubscribe()
    finally:
        await client.close()
    await shop.converged()
    await shop.each_event_published_once()


async def _distinct_letters(letters: JetStreamContext.PushSubscription, count: int) -> list[Msg]:
    """The dead letters of `count` different events, each acked as it comes: unacked, the first came again
    after 30 s, before the broken event's letter (its failures counted by each of two workers took as long)."""
    by_data: dict[bytes, Msg] = {}
    async with asyncio.timeout(2 * CONVERGE_SECONDS):
        while len(by_data) < count:
            letter = await letters.next_msg(timeout=2 * CONVERGE_SECONDS)
            await letter.ack()
            by_data[letter.data] = letter
    return list(by_data.values())


async def _metric_reaches(client: httpx.AsyncClient, url: str, series: str, value: float) -> bool:
    return await metric(client, url, series, absent=0.0) >= value


async def _catalog_stock_is(client: httpx.AsyncClient, url: str, product: int, stock: int) -> bool:
    response = await client.get(f"{url}/api/products/{product}")
    return response.status_code == 200 and response.json()["stock"] == stock


def _saying(text: str) -> Callable[[], Awaitable[str]]:
    async def describe() -> str:
        return text

    return describe
