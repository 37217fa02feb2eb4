"""Stock routes: `/api/inventory...`, and `/inventory...` as aliases (inventory/app.py)."""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query

from microshop.common.db import SessionDep
from microshop.common.errors import error_response_schema, invalid_input
from microshop.common.ids import MAX_ID, parse_id
from microshop.common.pagination import Page
from microshop.common.routing import AuthDocumentedRoute
from microshop.common.security import AdminUser, AnyCaller
from microshop.inventory.dependencies import WriterActor
from microshop.inventory.stock import service
from microshop.inventory.stock.schemas import (
    MAX_BATCH,
    InventoryItemRead,
    InventoryQuery,
    MovementRead,
    MovementsQuery,
    StockEntry,
    StockUpdate,
    StockWrite,
    VersionedItemRead,
)

router = APIRouter(route_class=AuthDocumentedRoute, prefix="/inventory", tags=["inventory"])

PathProductId = Annotated[int, Path(ge=1, le=MAX_ID, description="The product's id")]


async def batch_ids(
    product_ids: Annotated[
        list[str] | None,
        Query(description="Comma-separated product ids (at most 200); unknown ids are simply absent"),
    ] = None,
) -> list[int] | None:
    """Parse `?product_ids=1,2,3` (repeating the parameter works too)."""
    if product_ids is None:
        return None
    parsed = [parse_id(part) for value in product_ids for part in value.split(",") if part.strip()]
    if any(product_id is None for product_id in parsed):
        raise invalid_input("query", "product_ids", "every id must be a positive integer")
    ids = sorted({product_id for product_id in parsed if product_id is not None})
    if len(ids) > MAX_BATCH:
        raise invalid_input("query", "product_ids", f"at most {MAX_BATCH} ids per request")
    return ids


@router.get("", response_model=Page[VersionedItemRead])
async def list_inventory(
    session: SessionDep,
    _: AnyCaller,
    product_ids: Annotated[list[int] | None, Depends(batch_ids)],
    query: Annotated[InventoryQuery, Query()],
) -> Page[VersionedItemRead]:
    """List stock in product-id order, each row with its version; `product_ids` answers a batch lookup in one page."""
    return await service.list_items(session, query=query, product_ids=product_ids)


@router.post("", response_model=InventoryItemRead, responses={409: error_response_schema("Short")})
async def write_stock(
    session: SessionDep, actor: WriterActor, body: Annotated[StockWrite, Body()]
) -> InventoryItemRead:
    """Set stock `{product_id, stock}` (upsert), or record an entry/exit `{product_id, type, quantity, reason?}`."""
    if isinstance(body, StockEntry):
        return await service.record_entry(session, entry=body, actor=actor)
    return await service.set_stock(session, product_id=body.product_id, stock=body.stock, actor=actor)


@router.get(
    "/{product_id}",
    response_model=VersionedItemRead,
    responses={404: error_response_schema("No inventory for this product")},
)
async def get_inventory(session: SessionDep, _: AnyCaller, product_id: PathProductId) -> VersionedItemRead:
    """One product's stock."""
    return await service.get_item(session, product_id=product_id)


@router.put("/{product_id}", response_model=InventoryItemRead)
async def put_stock(
    session: SessionDep, admin: AdminUser, product_id: PathProductId, body: StockUpdate
) -> InventoryItemRead:
    """Set one product's absolute stock (creating its row if needed); admins only."""
    return await service.set_stock(session, product_id=product_id, stock=body.stock, actor=admin.actor)


@router.get(
    "/{product_id}/movements",
    response_model=Page[MovementRead],
)
async def list_movements(
    session: SessionDep,
    _: AdminUser,
    product_id: PathProductId,
    query: Annotated[MovementsQuery, Query()],
) -> Page[MovementRead]:
    """One product's movement history, newest first."""
    return await service.list_movements(session, product_id=product_id, page=query)
