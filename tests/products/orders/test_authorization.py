"""User B can never see, change or check out user A's cart items or orders: one test per route."""

from dataclasses import dataclass

import pytest

from tests.products.orders.support import Shop


@dataclass
class Scene:
    alice: dict[str, str]
    bob: dict[str, str]
    product_id: int
    alice_item: int
    alice_order: int


@pytest.fixture(scope="module")
async def scene(shop: Shop) -> Scene:
    """Alice has a placed order and an item in a new cart; Bob has a cart of his own."""
    alice, bob = shop.user(), shop.user()
    product_id = await shop.create_product(stock=50)
    await shop.add(alice, product_id, 1)
    order = await shop.client.post("/api/cart/checkout", headers=alice)
    assert order.status_code == 201
    alice_item = (await shop.add(alice, product_id, 2)).json()["items"][0]["id"]
    await shop.add(bob, product_id, 1)
    return Scene(alice, bob, product_id, alice_item, order.json()["order_id"])


async def _alice_cart(shop: Shop, scene: Scene) -> list[tuple[int, int]]:
    cart = (await shop.client.get("/api/cart", headers=scene.alice)).json()
    return [(item["id"], item["quantity"]) for item in cart["items"]]


async def test_get_cart_shows_only_your_own_items(shop: Shop, scene: Scene) -> None:
    cart = (await shop.client.get("/api/cart", headers=scene.bob)).json()
    assert scene.alice_item not in [item["id"] for item in cart["items"]]
    assert [item["quantity"] for item in cart["items"]] == [1]


async def test_add_goes_to_your_own_cart(shop: Shop, scene: Scene) -> None:
    await shop.add(scene.bob, scene.product_id, 1)
    assert await _alice_cart(shop, scene) == [(scene.alice_item, 2)]


async def test_patch_of_another_users_item_is_404_and_changes_nothing(shop: Shop, scene: Scene) -> None:
    response = await shop.client.patch(f"/api/cart/items/{scene.alice_item}", json={"quantity": 9}, headers=scene.bob)
    assert response.status_code == 404
    assert "quantity" not in response.text
    assert await _alice_cart(shop, scene) == [(scene.alice_item, 2)]


async def test_delete_of_another_users_item_is_404_and_changes_nothing(shop: Shop, scene: Scene) -> None:
    response = await shop.client.delete(f"/api/cart/items/{scene.alice_item}", headers=scene.bob)
    assert response.status_code == 404
    assert await _alice_cart(shop, scene) == [(scene.alice_item, 2)]


async def test_emptying_your_cart_leaves_others_alone(shop: Shop, scene: Scene) -> None:
    assert (await shop.client.delete("/api/cart", headers=scene.bob)).status_code == 200
    assert await _alice_cart(shop, scene) == [(scene.alice_item, 2)]


async def test_checkout_buys_only_your_own_cart(shop: Shop, scene: Scene) -> None:
    carol = shop.user()
    response = await shop.client.post("/api/cart/checkout", headers=carol)
    assert response.status_code == 400
    assert await _alice_cart(shop, scene) == [(scene.alice_item, 2)]


async def test_listing_orders_shows_only_your_own(shop: Shop, scene: Scene) -> None:
    page = (await shop.client.get("/api/orders", headers=scene.bob)).json()
    assert scene.alice_order not in [order["id"] for order in page["items"]]


async def test_another_users_order_is_404(shop: Shop, scene: Scene) -> None:
    response = await shop.client.get(f"/api/orders/{scene.alice_order}", headers=scene.bob)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "order_not_found"
    assert (await shop.client.get(f"/api/orders/{scene.alice_order}", headers=scene.alice)).status_code == 200


async def test_cancelling_another_users_order_is_404_and_changes_nothing(shop: Shop, scene: Scene) -> None:
    response = await shop.client.post(f"/api/orders/{scene.alice_order}/cancel", headers=scene.bob)
    assert response.status_code == 404
    assert (await shop.order_row(scene.alice_order))["status"] == "placed"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/admin/orders"),
        ("GET", "/api/admin/orders/export.csv"),
        ("GET", "/api/admin/orders/{order}"),
        ("POST", "/api/admin/orders/{order}/mark-paid"),
        ("POST", "/api/admin/orders/{order}/deliver"),
        ("POST", "/api/admin/orders/{order}/cancel"),
    ],
)
async def test_fulfilment_is_for_admins_only(shop: Shop, scene: Scene, method: str, path: str) -> None:
    url = path.format(order=scene.alice_order)
    for caller in (scene.bob, scene.alice):
        assert (await shop.client.request(method, url, headers=caller)).status_code == 403
    row = await shop.order_row(scene.alice_order)
    assert (row["status"], row["payment_status"]) == ("placed", "unpaid")
