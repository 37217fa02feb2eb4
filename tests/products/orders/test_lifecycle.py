"""The order lifecycle: every move legal and illegal, over the table, through the admin's and customer's routes."""

from typing import Any

import pytest

from tests.products.orders.support import ADDRESS, SHIP, Shop

STATES = ["pending", "placed", "shipped", "delivered", "rejected", "cancelled"]
ACTIONS = {"mark-paid": None, "ship": "shipped", "deliver": "delivered", "cancel": "cancelled"}
# What each action makes of an order, written out by hand (the code's table is lifecycle.STATUS_MOVES).
LEGAL = {
    ("pending", "cancel", "pickup"): "cancelled",
    ("pending", "cancel", "delivery"): "cancelled",
    ("placed", "cancel", "pickup"): "cancelled",
    ("placed", "cancel", "delivery"): "cancelled",
    ("placed", "deliver", "pickup"): "delivered",
    ("placed", "ship", "delivery"): "shipped",
    ("shipped", "deliver", "delivery"): "delivered",
    ("placed", "mark-paid", "pickup"): "paid",
    ("placed", "mark-paid", "delivery"): "paid",
    ("shipped", "mark-paid", "delivery"): "paid",
    ("delivered", "mark-paid", "pickup"): "paid",
    ("delivered", "mark-paid", "delivery"): "paid",
}
EVENT = {"paid": "orders.order.paid", "shipped": "orders.order.shipped", "delivered": "orders.order.delivered"}
EVENT["cancelled"] = "orders.order.cancelled"


@pytest.fixture(scope="module")
async def courier(shop: Shop) -> dict[str, Any]:
    return await shop.shipping_method(name="Courier", price="4.90")


def _choices(kind: str, courier: dict[str, Any]) -> dict[str, Any] | None:
    if kind == "pickup":
        return None  # the original flow: the default pickup method, cash on pickup
    return {"shipping_method_id": courier["id"], "address": ADDRESS, "payment_method": "bank_transfer"}


async def order_in(shop: Shop, state: str, kind: str, courier: dict[str, Any]) -> int:
    """A new order brought to `state` through the API."""
    product_id = await shop.create_product(price="10.00", stock=None if state == "rejected" else 10)
    user = shop.user()
    if state == "pending":
        await shop.add(user, product_id)
        async with shop.inventory_down() as down:
            response = await down.post("/api/cart/checkout", json=_choices(kind, courier), headers=user)
            assert response.status_code == 503
        return int((await shop.client.get("/api/orders", headers=user)).json()["items"][0]["id"])
    order_id = await shop.buy(user, product_id, choices=_choices(kind, courier))
    steps = {"shipped": [("ship", SHIP)], "cancelled": [("cancel", None)]}
    steps["delivered"] = [("ship", SHIP), ("deliver", None)] if kind == "delivery" else [("deliver", None)]
    for action, body in steps.get(state, []):
        assert (await shop.admin_action(order_id, action, body)).status_code == 200
    assert (await shop.order_row(order_id))["status"] == state
    return order_id


CASES = [
    (state, action, kind)
    for state in STATES
    for action in ACTIONS
    for kind in ("pickup", "delivery")
    if not (state == "shipped" and kind == "pickup")  # a pickup order is never shipped
]


@pytest.mark.parametrize(("state", "action", "kind"), CASES)
async def test_every_move_is_checked_against_the_table(
    shop: Shop, courier: dict[str, Any], state: str, action: str, kind: str
) -> None:
    order_id = await order_in(shop, state, kind, courier)
    before = await shop.order_row(order_id)
    events_before = await shop.outbox_types(order_id)
    response = await shop.admin_action(order_id, action, SHIP if action == "ship" else {"note": "by the test"})
    after = await shop.order_row(order_id)
    expected = LEGAL.get((state, action, kind))
    if expected is None:
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_transition"
        # mark-paid is refused only where no payment move is open at all
        assert error["details"]["allowed"] == ([] if action == "mark-paid" else _allowed(state, kind))
        assert (after["status"], after["payment_status"]) == (before["status"], before["payment_status"])
        assert await shop.outbox_types(order_id) == events_before
        if state == "pending":  # leave no pending order for the recovery tests of this package to find
            assert (await shop.admin_action(order_id, "cancel")).status_code == 200
        return
    assert response.status_code == 200, response.text
    order = response.json()
    assert (order["payment_status"] if action == "mark-paid" else order["status"]) == expected
    step = order["history"][-1]
    note = None if action == "ship" else "by the test"
    assert (step["from_state"], step["to_state"], step["actor"], step["note"]) == (
        "unpaid" if action == "mark-paid" else state,
        expected,
        "admin",
        note,
    )
    assert await shop.outbox_types(order_id) == [*events_before, EVENT[expected]]


def _allowed(state: str, kind: str) -> list[str]:
    """The status targets a 409 lists: the actions' outcomes, and the checkout's own moves out of pending."""
    by_action = {LEGAL[key] for key in LEGAL if key[0] == state and key[2] == kind and key[1] != "mark-paid"}
    return sorted(by_action | ({"placed", "rejected"} if state == "pending" else set()))
