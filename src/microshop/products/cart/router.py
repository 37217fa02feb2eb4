"""Routes of the cart: the caller's own active cart only."""

from fastapi import APIRouter, Depends, Response

from microshop.common.db import SessionDep
from microshop.common.errors import Responses, error_response_schema
from microshop.common.routing import AuthDocumentedRoute
from microshop.common.security import CurrentUser, current_user
from microshop.products.cart import service
from microshop.products.cart.dependencies import OwnedCartItem
from microshop.products.cart.schemas import CartItemCreate, CartItemUpdate, CartRead
from microshop.products.inventory_client import InventoryDep

router = APIRouter(
    route_class=AuthDocumentedRoute, prefix="/api/cart", tags=["cart"], dependencies=[Depends(current_user)]
)

ITEM_NOT_FOUND: Responses = {404: error_response_schema("No such item in your cart")}
PENDING: Responses = {409: error_response_schema("A checkout of this cart is in progress (checkout_pending)")}
STOCK_HEADER = {
    "X-Stock-Status": {
        "description": "`unavailable` when Inventory could not be asked (items then carry `stock: null`)",
        "schema": {"type": "string", "enum": ["unavailable"]},
    }
}
CART_OK: Responses = {200: {"description": "The cart", "headers": STOCK_HEADER}}


def _respond(response: Response, view: service.CartView) -> CartRead:
    if not view.stock_known:
        response.headers["X-Stock-Status"] = "unavailable"
    return view.cart


def _user_id(user: CurrentUser) -> int:
    assert user.user_id is not None  # CurrentUser refuses service tokens
    return user.user_id


@router.get("", response_model=CartRead, responses=CART_OK)
async def get_cart(user: CurrentUser, session: SessionDep, inventory: InventoryDep, response: Response) -> CartRead:
    """Your cart: items with current name, price, stock and availability, and the total."""
    view = await service.view_cart(session=session, inventory=inventory, user_id=_user_id(user))
    return _respond(response, view)


@router.post(
    "",
    response_model=CartRead,
    responses={
        **CART_OK,
        404: error_response_schema("Unknown or archived product"),
        409: error_response_schema("Over 99 units (quantity_limit) or a checkout in progress (checkout_pending)"),
    },
)
async def add_to_cart(
    body: CartItemCreate, user: CurrentUser, session: SessionDep, inventory: InventoryDep, response: Response
) -> CartRead:
    """Add a product to your cart (merged with the units already there); answers with the cart."""
    view = await service.add_item(
        session=session, inventory=inventory, user_id=_user_id(user), product_id=body.product_id, quantity=body.quantity
    )
    return _respond(response, view)


@router.patch("/items/{item_id}", response_model=CartRead, responses={**CART_OK, **ITEM_NOT_FOUND, **PENDING})
async def update_cart_item(
    body: CartItemUpdate,
    item: OwnedCartItem,
    user: CurrentUser,
    session: SessionDep,
    inventory: InventoryDep,
    response: Response,
) -> CartRead:
    """Set the quantity of one item of your cart."""
    view = await service.set_quantity(
        session=session, inventory=inventory, user_id=_user_id(user), item=item, quantity=body.quantity
    )
    return _respond(response, view)


@router.delete("/items/{item_id}", response_model=CartRead, responses={**CART_OK, **ITEM_NOT_FOUND, **PENDING})
async def remove_cart_item(
    item: OwnedCartItem, user: CurrentUser, session: SessionDep, inventory: InventoryDep, response: Response
) -> CartRead:
    """Remove one item from your cart."""
    view = await service.remove_item(session=session, inventory=inventory, user_id=_user_id(user), item=item)
    return _respond(response, view)


@router.delete("", response_model=CartRead, responses={**CART_OK, **PENDING})
async def empty_cart(user: CurrentUser, session: SessionDep, inventory: InventoryDep, response: Response) -> CartRead:
    """Remove every item from your cart."""
    view = await service.empty_cart(session=session, inventory=inventory, user_id=_user_id(user))
    return _respond(response, view)
