"""Idempotency-Key on checkout: each key bound to its user and request, answered the same every time."""

import asyncio

import httpx

from tests.products.orders.support import Shop


async def _checkout(shop: Shop, user: dict[str, str], key: str) -> httpx.Response:
    return await shop.client.post("/api/cart/checkout", headers={**user, "Idempotency-Key": key})


class TestSameKeySameRequest:
    async def test_a_replayed_success_is_the_same_bytes_and_places_nothing_more(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=10)
        user = shop.user()
        await shop.add(user, product_id, 2)
        first = await _checkout(shop, user, "replay-201")
        replay = await _checkout(shop, user, "replay-201")
        assert first.status_code == replay.status_code == 201
        assert replay.content == first.content
        assert await shop.stock(product_id) == 8

    async def test_a_replayed_shortage_is_the_same_409_bytes(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=1)
        user = shop.user()
        await shop.add(user, product_id, 2)
        first = await _checkout(shop, user, "replay-409")
        await shop.set_stock(product_id, 5)  # a fresh checkout would now succeed; the key still answers 409
        replay = await _checkout(shop, user, "replay-409")
        assert first.status_code == replay.status_code == 409
        assert first.json()["error"]["code"] == "insufficient_stock"
        assert replay.content == first.content


class TestSameKeyDifferentRequest:
    async def test_a_key_reused_for_a_different_cart_is_422_and_orders_nothing(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=10)
        user = shop.user()
        await shop.add(user, product_id, 1)
        assert (await _checkout(shop, user, "reused")).status_code == 201
        await shop.add(user, product_id, 3)
        reused = await _checkout(shop, user, "reused")
        assert reused.status_code == 422
        assert reused.json()["error"]["code"] == "idempotency_key_reused"
        assert await shop.stock(product_id) == 9
        assert len((await shop.client.get("/api/cart", headers=user)).json()["items"]) == 1

    async def test_an_expired_key_is_deleted_and_free_for_a_new_cart(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=10)
        user = shop.user()
        await shop.add(user, product_id, 1)
        first = await _checkout(shop, user, "expiring")
        await shop.fetch("UPDATE products.idempotency_keys SET expires_at = now() WHERE key = 'expiring'")
        await shop.add(user, product_id, 2)
        second = await _checkout(shop, user, "expiring")
        assert second.status_code == 201
        assert second.json()["order_id"] != first.json()["order_id"]
        assert await shop.stock(product_id) == 7


class TestKeysAfterA503:
    async def test_a_new_key_resumes_the_pending_order_and_its_retries_replay_its_answer(self, shop: Shop) -> None:
        product_id = await shop.create_product(stock=5)
        user = shop.user()
        await shop.add(user, product_id, 2)
        async with shop.inventory_down() as down:
            failed = await down.post("/api/cart/checkout", headers={**user, "Idempotency-Key": "key-a"})
        assert failed.status_code == 503
        b_first = await _checkout(shop, user, "key-b")
        assert b_first.status_code == 201
        b_retry = await _checkout(shop, user, "key-b")
        assert b_retry.status_code == 201, b_retry.text  # not cart_empty: B's answer is B's
        assert b_retry.content == b_first.content
        a_retry = await _checkout(shop, user, "key-a")
        assert a_retry.status_code == 201
        assert a_retry.json()["order_id"] == b_first.json()["order_id"]
        assert await shop.stock(product_id) == 3


class TestConcurrentSameKey:
    async def test_ten_concurrent_requests_with_one_key_place_one_order_with_identical_answers(
        self, shop: Shop
    ) -> None:
        product_id = await shop.create_product(stock=50)
        user = shop.user()
        await shop.add(user, product_id, 4)
        answers = await asyncio.gather(*(_checkout(shop, user, "together") for _ in range(10)))
        assert {answer.status_code for answer in answers} == {201}
        assert len({answer.content for answer in answers}) == 1
        assert await shop.stock(product_id) == 46
        orders = await shop.fetch("SELECT id FROM products.orders WHERE idempotency_key = 'together'")
        assert len(orders) == 1
