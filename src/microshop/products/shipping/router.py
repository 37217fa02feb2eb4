"""Routes of shipping methods: read by anyone, managed by admins."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from microshop.common.db import SessionDep
from microshop.common.errors import Responses, error_response_schema
from microshop.common.ids import MAX_ID
from microshop.common.routing import AuthDocumentedRoute
from microshop.common.security import AdminUser, OptionalPrincipal
from microshop.products.dependencies import SettingsDep
from microshop.products.shipping import service
from microshop.products.shipping.schemas import (
    ShippingMethodCreate,
    ShippingMethodRead,
    ShippingMethodsQuery,
    ShippingMethodUpdate,
)

# Public: a visitor sees the methods and prices before logging in; writes take AdminUser.
router = APIRouter(route_class=AuthDocumentedRoute, prefix="/api/shipping-methods", tags=["shipping"])

MethodId = Annotated[int, Path(ge=1, le=MAX_ID, description="A shipping method's id")]
NOT_FOUND: Responses = {404: error_response_schema("No such shipping method")}
DEFAULT: Responses = {
    409: error_response_schema("The default must stay an active pickup method (default_shipping_method)")
}


@router.get(
    "",
    response_model=list[ShippingMethodRead],
    responses={403: error_response_schema("`include_inactive` without the admin role")},
)
async def list_methods(
    caller: OptionalPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    query: Annotated[ShippingMethodsQuery, Query()],
) -> list[ShippingMethodRead]:
    """Shipping methods on offer, cheapest first (admins: `include_inactive=true` for all)."""
    return await service.list_methods(
        session=session, caller=caller, include_inactive=query.include_inactive, currency=settings.shop_currency
    )


@router.post("", status_code=201, response_model=ShippingMethodRead, responses=DEFAULT)
async def create_method(
    body: ShippingMethodCreate, admin: AdminUser, session: SessionDep, settings: SettingsDep
) -> ShippingMethodRead:
    """Offer a new shipping method (admin)."""
    return await service.create_method(session=session, body=body, currency=settings.shop_currency)


@router.patch("/{method_id}", response_model=ShippingMethodRead, responses={**NOT_FOUND, **DEFAULT})
async def update_method(
    method_id: MethodId, body: ShippingMethodUpdate, admin: AdminUser, session: SessionDep, settings: SettingsDep
) -> ShippingMethodRead:
    """Change a shipping method (admin); orders already placed keep their price."""
    return await service.update_method(session=session, method_id=method_id, body=body, currency=settings.shop_currency)


@router.delete("/{method_id}", status_code=204, responses={**NOT_FOUND, **DEFAULT})
async def deactivate_method(method_id: MethodId, admin: AdminUser, session: SessionDep) -> Response:
    """Stop offering a shipping method (admin): it is deactivated, not deleted, as past orders name it."""
    await service.deactivate_method(session=session, method_id=method_id)
    return Response(status_code=204)
