"""Routes of checkout and order history."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from microshop.common.db import SessionDep
from microshop.common.errors import Responses, error_response_schema
from microshop.common.pagination import Page
from microshop.common.routing import AuthDocumentedRoute
from microshop.common.security import CurrentUser, current_user
from microshop.products.dependencies import SettingsDep
from microshop.products.inventory_client import InventoryDep
from microshop.products.orders import checkout as checkout_saga
from microshop.products.orders import choices, service
from microshop.products.orders.dependencies import OrderId, SessionmakerDep, VisibleOrder
from microshop.products.orders.schemas import CheckoutRead, CheckoutRequest, NoteBody, OrderRead, OrdersQuery, QuoteRead

checkout_router = APIRouter(
    route_class=AuthDocumentedRoute, prefix="/api/cart", tags=["checkout"], dependencies=[Depends(current_user)]
)
router = APIRouter(
    route_class=AuthDocumentedRoute, prefix="/api/orders", tags=["orders"], dependencies=[Depends(current_user)]
)

NOT_FOUND: Responses = {404: error_response_schema("No such order (or not yours)")}
UNAVAILABLE: Responses = {503: error_response_schema("Inventory cannot answer now (inventory_unavailable); retry")}

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        pattern=r"^[!-~](?:[ -~]*[!-~])?$",
        description="1-100 printable ASCII characters; the same key always gives the same order and answer",
    ),
]


@checkout_router.post(
    "/checkout",
    status_code=201,
    response_model=CheckoutRead,
    responses={
        400: error_response_schema("The cart is empty (cart_empty)"),
        404: error_response_schema("Unknown address (not yours), shipping method or payment method"),
        422: error_response_schema(
            "Bad choices (validation_error, e.g. an unknown country), a delivery without an address "
            "(address_required), or this Idempotency-Key was used for a different cart (idempotency_key_reused)"
        ),
        409: error_response_schema(
            "Not enough stock (insufficient_stock, details.short), an archived product in the cart "
            "(product_unavailable), the order was cancelled (order_cancelled), an inactive shipping method "
            "(shipping_method_inactive) or a payment method that is off or does not fit it (payment_method_unavailable)"
        ),
        **UNAVAILABLE,
    },
)
async def checkout(
    user: CurrentUser,
    settings: SettingsDep,
    sessionmaker: SessionmakerDep,
    inventory: InventoryDep,
    body: CheckoutRequest | None = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Buy your cart: reserve its units at Inventory and place the order (safe to retry); no body: pickup in store."""
    assert user.user_id is not None
    answer = await checkout_saga.checkout(
        sessionmaker=sessionmaker,
        inventory=inventory,
        user_id=user.user_id,
        idempotency_key=idempotency_key,
        key_ttl=timedelta(hours=settings.idempotency_key_ttl_hours),
        request=body,
        currency=settings.shop_currency,
    )
    return Response(answer.body, status_code=answer.status_code, media_type="application/json")


@checkout_router.post(
    "/quote",
    response_model=QuoteRead,
    responses={
        400: error_response_schema("The cart is empty (cart_empty)"),
        404: error_response_schema("Unknown address (not yours), shipping method or payment method"),
        409: error_response_schema("An inactive shipping method, or a payment method that is off or does not fit it"),
        422: error_response_schema("Bad choices, or a delivery without an address (address_required)"),
    },
)
async def quote(
    user: CurrentUser, settings: SettingsDep, session: SessionDep, body: CheckoutRequest | None = None
) -> QuoteRead:
    """What checking out your cart with these choices would cost (subtotal, shipping, total); nothing is placed."""
    assert user.user_id is not None
    return await choices.quote_cart(session, user_id=user.user_id, request=body, currency=settings.shop_currency)


@router.get(
    "",
    response_model=Page[OrderRead],
    responses={403: error_response_schema("Not a user, or `all` without the admin role")},
)
async def list_orders(
    user: CurrentUser, session: SessionDep, query: Annotated[OrdersQuery, Query()]
) -> Page[OrderRead]:
    """Your orders, newest first, each with its history (admins: `all=true` for everyone's)."""
    return await service.list_orders(session=session, caller=user, query=query)


@router.get("/{order_id}", response_model=OrderRead, responses=NOT_FOUND)
async def get_order(order: VisibleOrder, session: SessionDep) -> OrderRead:
    """One of your orders: items, totals, address, shipping, payment, tracking and history (admins: any order)."""
    return await service.get_order(session=session, order=order)


@router.post(
    "/{order_id}/cancel",
    response_model=OrderRead,
    responses={
        **NOT_FOUND,
        403: error_response_schema("Not placed and unpaid: only the shop can cancel it now"),
        409: error_response_schema("The order's state does not allow a cancel (invalid_transition, details.allowed)"),
        **UNAVAILABLE,
    },
)
async def cancel_order(
    order_id: OrderId, user: CurrentUser, session: SessionDep, inventory: InventoryDep, body: NoteBody | None = None
) -> OrderRead:
    """Cancel your placed, unpaid order (admins: any cancellable order); its units go back to stock."""
    return await service.cancel_order(
        session=session, inventory=inventory, caller=user, order_id=order_id, note=body.note if body else None
    )
