"""Routes of payment methods: the buyer's choice (public), the admin's settings."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from microshop.common.db import SessionDep
from microshop.common.errors import error_response_schema
from microshop.common.routing import AuthDocumentedRoute
from microshop.common.security import AdminUser, OptionalPrincipal
from microshop.products.payments import service
from microshop.products.payments.schemas import PaymentMethodRead, PaymentMethodsQuery, PaymentMethodUpdate

# Public reads; the write takes AdminUser.
router = APIRouter(route_class=AuthDocumentedRoute, prefix="/api/payment-methods", tags=["payments"])


@router.get(
    "",
    response_model=list[PaymentMethodRead],
    responses={403: error_response_schema("`include_disabled` without the admin role")},
)
async def list_methods(
    caller: OptionalPrincipal, session: SessionDep, query: Annotated[PaymentMethodsQuery, Query()]
) -> list[PaymentMethodRead]:
    """Payment methods on offer, with their instructions and the shipping kinds they fit."""
    return await service.list_methods(session=session, caller=caller, include_disabled=query.include_disabled)


@router.patch(
    "/{code}", response_model=PaymentMethodRead, responses={404: error_response_schema("No such payment method")}
)
async def update_method(
    code: Annotated[str, Path(max_length=30)], body: PaymentMethodUpdate, admin: AdminUser, session: SessionDep
) -> PaymentMethodRead:
    """Enable or disable a payment method, or set its instructions (admin)."""
    return await service.update_method(session=session, code=code, body=body)
