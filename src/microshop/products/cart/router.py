"""Routes of the cart: the caller's own active cart only."""

from fastapi import APIRouter, Depends

from microshop.common.db import ReadSessionDep, SessionDep
from microshop.common.errors import Responses, error_response_schema
from microshop.common.routing import AuthDocumentedRoute
from microshop.common.security import CurrentUser, current_user
from microshop.products.cart import service
from microshop.products.cart.dependencies import OwnedCartItem
from microshop.products.cart.schemas import CartItemCreate, CartItemUpdate, CartRead
from microshop.products.dependencies import SettingsDep
from microshop.products.stock.dependencies import stock_lag_header

router = APIRouter(
    route_class=AuthDocumentedRoute, prefix="/api/cart", tags=["cart"], dependencies=[Depends(current_user)]
)

ITEM_NOT_FOUND: Responses = {404: error_response_schema("No such item in your cart")}
PENDING: Responses = {409: error_response_schema("A checkout of this cart is in progress (checkout_pending)")}


def _user_id(user: CurrentUser) -> int:
    assert user.user_id is not None  # CurrentUser refuses service tokens
    return user.user_id


@router.get("", response_model=CartRead, dependencies=[Depends(stock_lag_header)])
async def get_cart(user: CurrentUser, session: ReadSessionDep, settings: SettingsDep) -> CartRead:
    """Your cart: items with current name, price, stock and availability, and the total."""
    return await service.view_cart(session=session, user_id=_user_id(user), currency=settings.shop_currency)


@router.post(
    "",
    response_model=CartRead,
    responses={
        404: error_response_schema("Unknown or archived product"),
        409: error_response_schema("Over 99 units (quantity_limit) or a checkout in progress (checkout_pending)"),
    },
)
async def add_to_cart(body: CartItemCreate, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> CartRead:
    """Add a product to your cart (merged with the units already there); answers with the cart."""
    return await service.add_item(
        session=session,
        user_id=_user_id(user),
        product_id=body.product_id,
        quantity=body.quantity,
        currency=settings.shop_currency,
    )


@router.patch("/items/{item_id}", response_model=CartRead, responses={**ITEM_NOT_FOUND, **PENDING})
async def update_cart_item(
    body: CartItemUpdate,
    item: OwnedCartItem,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> CartRead:
    """Set the quantity of one item of your cart."""
    return await service.set_quantity(
        session=session, user_id=_user_id(user), item=item, quantity=body.quantity, currency=settings.shop_currency
    )


@router.delete("/items/{item_id}", response_model=CartRead, responses={**ITEM_NOT_FOUND, **PENDING})
async def remove_cart_item(
    item: OwnedCartItem, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> CartRead:
    """Remove one item from your cart."""
    return await service.remove_item(
        session=session, user_id=_user_id(user), item=item, currency=settings.shop_currency
    )


@router.delete("", response_model=CartRead, responses={**PENDING})
async def empty_cart(user: CurrentUser, session: SessionDep, settings: SettingsDep) -> CartRead:
    """Remove every item from your cart."""
    return await service.empty_cart(session=session, user_id=_user_id(user), currency=settings.shop_currency)
