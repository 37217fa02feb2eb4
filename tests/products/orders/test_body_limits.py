"""A body over the cap on a route that never reads one is refused before the route runs."""

from tests.products.orders.support import Shop

ORIGIN = "http://localhost:5173"


async def test_a_checkout_with_a_body_over_the_cap_is_413_and_places_nothing(shop: Shop) -> None:
    product_id = await shop.create_product(price="10.00", stock=5)
    user = shop.user()
    await shop.add(user, product_id, 1)
    too_big = b"x" * (shop.app.state.settings.max_body_bytes + 1)  # under Products' upload cap
    response = await shop.client.post(
        "/api/cart/checkout", content=too_big, headers={**user, "Content-Type": "application/json", "Origin": ORIGIN}
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"
    assert response.headers["access-control-allow-origin"] == ORIGIN  # a browser can read the error
    assert await shop.stock(product_id) == 5
    assert len((await shop.client.get("/api/cart", headers=user)).json()["items"]) == 1
