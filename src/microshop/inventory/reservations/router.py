"""Reservation routes: what checkout uses to take units for an order, and to give them back."""

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response

from microshop.common.db import SessionDep
from microshop.common.errors import error_response_schema
from microshop.common.routing import AuthDocumentedRoute
from microshop.common.security import ServiceOrAdmin
from microshop.inventory.dependencies import WriterActor
from microshop.inventory.reservations import service
from microshop.inventory.reservations.schemas import (
    REFERENCE_PATTERN,
    ReleaseRequest,
    ReservationCreate,
    ReservationRead,
)

router = APIRouter(route_class=AuthDocumentedRoute, prefix="/inventory/reservations", tags=["reservations"])

PathReference = Annotated[str, Path(pattern=REFERENCE_PATTERN, description="The reservation's reference")]


@router.post(
    "",
    status_code=201,
    response_model=ReservationRead,
    response_model_exclude_none=True,
    responses={
        200: {"description": "The same reference and items again: the stored outcome", "model": ReservationRead},
        409: error_response_schema("insufficient_stock, reference_conflict or reservation_released"),
    },
)
async def reserve(
    session: SessionDep, actor: WriterActor, body: ReservationCreate, response: Response
) -> ReservationRead:
    """Take every item for an order, or none; idempotent on `reference`."""
    outcome = await service.reserve(session, request=body, actor=actor)
    if not outcome.created:
        response.status_code = 200
    return outcome.reservation


@router.get(
    "/{reference}",
    response_model=ReservationRead,
    response_model_exclude_none=True,
    responses={404: error_response_schema("Reference never seen")},
)
async def get_reservation(session: SessionDep, _: ServiceOrAdmin, reference: PathReference) -> ReservationRead:
    """A reservation's status (committed, rejected or released), for recovery."""
    return await service.get(session, reference=reference)


@router.post("/{reference}/release", response_model=ReservationRead, response_model_exclude_none=True)
async def release_reservation(
    session: SessionDep,
    actor: WriterActor,
    reference: PathReference,
    body: Annotated[ReleaseRequest | None, Body()] = None,
) -> ReservationRead:
    """Put a reservation's units back once; an unknown reference is recorded so it can never commit."""
    reason = (body or ReleaseRequest()).reason
    return await service.release(session, reference=reference, reason=reason, actor=actor)
