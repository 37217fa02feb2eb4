"""Checkout when Inventory is killed or slow, over real processes: 503, then exactly one decrement.

Each test puts the shared system back (Inventory running, no lock held) in `finally`.
"""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.support import (
    create_product,
    decrements,
    ensure_running,
    new_user,
    order_status,
    row_lock_on_stock,
    stock_and_ledger,
    wait_for_lock_waiters,
)
from tests.support.system import System
from tests.support.tokens import TokenFactory

pytestmark = pytest.mark.e2e


async def _cart(client: httpx.AsyncClient, user: dict[str, str], product_id: int, quantity: int) -> None:
    response = await client.post("/api/cart", json={"product_id": product_id, "quantity": quantity}, headers=user)
    assert response.status_code == 200, response.text


async def _pending_order_of(client: httpx.AsyncClient, user: dict[str, str]) -> int:
    orders = (await client.get("/api/orders", headers=user)).json()["items"]
    assert [order["status"] for order in orders] == ["pending"]
    return int(orders[0]["id"])


@pytest.fixture
async def client(system: System) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=system.products.url, timeout=60) as client:
        yield client


async def test_inventory_killed_before_checkout_then_the_retry_completes_it_once(
    system: System, tokens: TokenFactory, client: httpx.AsyncClient
) -> None:
    product_id = await create_product(system, tokens, stock=10)
    user = new_user(tokens)
    await _cart(client, user, product_id, 2)
    checkout = {**user, "Idempotency-Key": "killed-before"}
    try:
        system.inventory.stop(kill=True)
        response = await client.post("/api/cart/checkout", headers=checkout)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "inventory_unavailable"
        order_id = await _pending_order_of(client, user)
    finally:
        ensure_running(system.inventory)
    retry = await client.post("/api/cart/checkout", headers=checkout)
    assert retry.status_code == 201
    assert retry.json()["order_id"] == order_id
    assert await decrements(system, order_id) == [-2]
    assert await stock_and_ledger(system, product_id) == (8, 8)


async def test_inventory_killed_during_checkout_then_recovery_completes_it_once(
    system: System, tokens: TokenFactory, client: httpx.AsyncClient
) -> None:
    product_id = await create_product(system, tokens, stock=10)
    user = new_user(tokens)
    await _cart(client, user, product_id, 3)
    try:
        async with row_lock_on_stock(system, product_id):
            checkout = asyncio.create_task(client.post("/api/cart/checkout", headers=user))
            await wait_for_lock_waiters(system)  # the reservation is inside Inventory, stuck
            system.inventory.stop(kill=True)
            response = await checkout
        assert response.status_code == 503
        order_id = await _pending_order_of(client, user)
        assert await decrements(system, order_id) == []
    finally:
        ensure_running(system.inventory)
    # No retry from the client: the recovery job (every 1 s, orders older than 2 s) finishes it.
    for _ in range(600):
        if await order_status(system, order_id) != "pending":
            break
        await asyncio.sleep(0.1)
    assert await order_status(system, order_id) == "placed"
    assert await decrements(system, order_id) == [-3]
    assert await stock_and_ledger(system, product_id) == (7, 7)
    assert (await client.get("/api/cart", headers=user)).json()["items"] == []


async def test_inventory_slower_than_the_timeout_gives_503_and_no_double_decrement(
    system: System, tokens: TokenFactory, client: httpx.AsyncClient
) -> None:
    product_id = await create_product(system, tokens, stock=10)
    user = new_user(tokens)
    await _cart(client, user, product_id, 4)
    checkout = {**user, "Idempotency-Key": "slow-inventory"}
    async with row_lock_on_stock(system, product_id):
        response = await client.post("/api/cart/checkout", headers=checkout)  # Products gives up after 2 s a try
        assert response.status_code == 503
        order_id = await _pending_order_of(client, user)
    # The lock is gone: the reservations Inventory was holding go through (one decrement, the
    # rest are the same reference), and the retry finds the reservation done.
    retry = await client.post("/api/cart/checkout", headers=checkout)
    assert retry.status_code == 201
    assert retry.json()["order_id"] == order_id
    assert await decrements(system, order_id) == [-4]
    assert await stock_and_ledger(system, product_id) == (6, 6)


async def test_after_a_503_a_new_key_resumes_the_order_and_its_retries_replay_the_same_bytes(
    system: System, tokens: TokenFactory, client: httpx.AsyncClient
) -> None:
    product_id = await create_product(system, tokens, stock=10)
    user = new_user(tokens)
    await _cart(client, user, product_id, 2)
    try:
        system.inventory.stop(kill=True)
        response = await client.post("/api/cart/checkout", headers={**user, "Idempotency-Key": "after-503-a"})
        assert response.status_code == 503
        order_id = await _pending_order_of(client, user)
        # Key B arrives while A's order is pending (Inventory still down): B is bound to that order.
        # Sent now, not after the restart, so the recovery job cannot settle the order before B is seen.
        during = await client.post("/api/cart/checkout", headers={**user, "Idempotency-Key": "after-503-b"})
        assert during.status_code == 503
    finally:
        ensure_running(system.inventory)
    b_first = await client.post("/api/cart/checkout", headers={**user, "Idempotency-Key": "after-503-b"})
    b_retry = await client.post("/api/cart/checkout", headers={**user, "Idempotency-Key": "after-503-b"})
    assert (b_first.status_code, b_retry.status_code) == (201, 201), b_retry.text
    assert b_retry.content == b_first.content
    assert b_first.json()["order_id"] == order_id
    await _cart(client, user, product_id, 1)  # a new cart: reusing a key for it is refused
    reused = await client.post("/api/cart/checkout", headers={**user, "Idempotency-Key": "after-503-b"})
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert await decrements(system, order_id) == [-2]
