"""Routes of fulfilment (admin): the filtered order list, its CSV export, and one call per action."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from microshop.common.db import SessionDep
from microshop.common.errors import Responses, error_response_schema
from microshop.common.pagination import Page
from microshop.common.routing import AuthDocumentedRoute
from microshop.common.security import AdminUser, require_admin
from microshop.products.inventory_client import InventoryDep
from microshop.products.orders import export, service
from microshop.products.orders.dependencies import OrderId, SessionmakerDep
from microshop.products.orders.schemas import AdminOrdersQuery, NoteBody, OrderFilters, OrderRead, ShipBody

router = APIRouter(
    route_class=AuthDocumentedRoute,
    prefix="/api/admin/orders",
    tags=["fulfilment"],
    dependencies=[Depends(require_admin)],
)

NOT_FOUND: Responses = {404: error_response_schema("No such order")}
MOVE: Responses = {
    **NOT_FOUND,
    409: error_response_schema("The order's state does not allow it (invalid_transition, details.allowed)"),
}


@router.get("", response_model=Page[OrderRead])
async def list_orders(session: SessionDep, query: Annotated[AdminOrdersQuery, Query()]) -> Page[OrderRead]:
    """Every customer's orders, newest first, filtered by status, payment status, date range and customer."""
    return await service.list_all_orders(session=session, query=query)


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per order, newest first"}},
)
async def export_orders(sessionmaker: SessionmakerDep, filters: Annotated[OrderFilters, Query()]) -> StreamingResponse:
    """The filtered order list as CSV, every row (streamed; no page limit)."""
    return StreamingResponse(
        export.export_csv(sessionmaker=sessionmaker, filters=filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="orders.csv"'},
    )


@router.get("/{order_id}", response_model=OrderRead, responses=NOT_FOUND)
async def get_order(order_id: OrderId, admin: AdminUser, session: SessionDep) -> OrderRead:
    """Any order, with its history."""
    order = await service.get_visible_order(session=session, caller=admin, order_id=order_id)
    return await service.get_order(session=session, order=order)


@router.post("/{order_id}/mark-paid", response_model=OrderRead, responses=MOVE)
async def mark_paid(
    order_id: OrderId, admin: AdminUser, session: SessionDep, body: NoteBody | None = None
) -> OrderRead:
    """Record that the order's payment arrived."""
    return await service.mark_paid(session=session, admin=admin, order_id=order_id, note=body.note if body else None)


@router.post("/{order_id}/ship", response_model=OrderRead, responses=MOVE)
async def ship(order_id: OrderId, body: ShipBody, admin: AdminUser, session: SessionDep) -> OrderRead:
    """Hand the parcel to a carrier, with its tracking number."""
    return await service.ship(
        session=session,
        admin=admin,
        order_id=order_id,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
        note=body.note,
    )


@router.post("/{order_id}/deliver", response_model=OrderRead, responses=MOVE)
async def deliver(order_id: OrderId, admin: AdminUser, session: SessionDep, body: NoteBody | None = None) -> OrderRead:
    """Record that the customer has the parcel (or collected it in store)."""
    return await service.deliver(session=session, admin=admin, order_id=order_id, note=body.note if body else None)


@router.post(
    "/{order_id}/cancel",
    response_model=OrderRead,
    responses={**MOVE, 503: error_response_schema("Inventory cannot answer now (inventory_unavailable); retry")},
)
async def cancel(
    order_id: OrderId, admin: AdminUser, session: SessionDep, inventory: InventoryDep, body: NoteBody | None = None
) -> OrderRead:
    """Cancel the order: stock back to Inventory, a paid payment refunded."""
    return await service.cancel_order(
        session=session, inventory=inventory, caller=admin, order_id=order_id, note=body.note if body else None
    )
