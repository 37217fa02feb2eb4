"""Reservations: all-or-nothing, idempotent on the reference, released at most once."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.db import own_transaction
from microshop.common.errors import InsufficientStock, ServiceUnavailable
from microshop.inventory import events
from microshop.inventory.errors import ReferenceConflict, ReservationNotFound, ReservationReleased
from microshop.inventory.reservations import repository
from microshop.inventory.reservations.schemas import ReservationCreate, ReservationRead, StockLevelAfter
from microshop.inventory.stock import repository as stock_repository


@dataclass(frozen=True)
class ReserveOutcome:
    reservation: ReservationRead
    created: bool


async def reserve(session: AsyncSession, *, request: ReservationCreate, actor: str) -> ReserveOutcome:
    """Take every item or none; a known reference answers its stored outcome and takes nothing.

    A shortage is recorded as a rejected reservation, so the same call again answers the same 409.
    """
    items = [
        {"product_id": item.product_id, "quantity": item.quantity}
        for item in sorted(request.items, key=lambda item: item.product_id)
    ]
    attempt = await repository.reserve_all(session, reference=request.reference, items=items, actor=actor)
    if attempt.reservation is not None:
        for level in attempt.levels:
            await events.stock_changed(session, product_id=level.product_id, stock=level.stock, version=level.version)
        levels = [
            StockLevelAfter(product_id=level.product_id, stock=level.stock, version=level.version)
            for level in attempt.levels
        ]
        reservation = ReservationRead.model_validate(attempt.reservation).model_copy(update={"levels": levels})
        return ReserveOutcome(reservation, created=True)
    if not attempt.short:  # nothing short, nothing claimed: the reference is known
        replayed = _replay(await repository.get(session, request.reference), items)
        return ReserveOutcome(await _with_levels(session, replayed), created=False)
    # In a transaction of its own: the rejection stands although this request answers 409. It needs
    # no lock this request holds (reserve_all locked stock rows at most, and claimed nothing).
    async with own_transaction(session) as rejection:
        rejected = await repository.claim(
            rejection, reference=request.reference, items=items, status="rejected", short=attempt.short
        )
        stored = rejected or await repository.get(rejection, request.reference)
    if rejected is None:  # a call with the same reference got there first (a retry, say): its outcome stands
        return ReserveOutcome(await _with_levels(session, _replay(stored, items)), created=False)
    raise InsufficientStock(attempt.short, reference=request.reference)


async def _with_levels(session: AsyncSession, reservation: ReservationRead) -> ReservationRead:
    """A replayed committed reservation with its products' stock and versions as they are now (a first
    answer carries the rows its own decrements returned), so the caller can show them at once."""
    levels = []
    for item in reservation.items:
        row = await stock_repository.get(session, item.product_id)
        if row is not None:
            levels.append(StockLevelAfter(product_id=row.product_id, stock=row.stock, version=row.version))
    return reservation.model_copy(update={"levels": levels})


def _replay(row: Any, items: list[dict[str, int]]) -> ReservationRead:
    """The stored outcome of a reference, if this call is the same request (a rejection is raised again)."""
    if row is None:  # the row that conflicted cannot vanish (reservations are never deleted)
        raise ServiceUnavailable("Reservation state is changing; please try again")
    if row.status == "released":
        raise ReservationReleased(f"Reservation {row.reference} was released; a new reference is needed")
    if row.items != items:
        raise ReferenceConflict(f"Reference {row.reference} was already used with different items")
    if row.status == "rejected":
        raise InsufficientStock(row.short or [], reference=row.reference)
    return ReservationRead.model_validate(row)


async def get(session: AsyncSession, *, reference: str) -> ReservationRead:
    """A reservation's status, for recovery; 404 when the reference was never seen."""
    row = await repository.get(session, reference)
    if row is None:
        raise ReservationNotFound(reference)
    return ReservationRead.model_validate(row)


async def release(session: AsyncSession, *, reference: str, reason: str, actor: str) -> ReservationRead:
    """Give a committed reservation's units back exactly once; an unknown reference becomes a tombstone.

    A rejected reservation took nothing, so it is marked released with no movements (its `short` kept).
    """

    row = await repository.get(session, reference, lock=True)
    if row is None:
        row = await repository.tombstone(session, reference=reference, reason=reason)
        if row is not None:
            return ReservationRead.model_validate(row)
        row = await repository.get(session, reference, lock=True)
        if row is None:  # the row that conflicted cannot vanish (reservations are never deleted)
            raise ServiceUnavailable("Reservation state is changing; please try again")
    if row.status == "released":
        return ReservationRead.model_validate(row)
    if row.status == "committed":
        items = sorted(row.items, key=lambda item: item["product_id"])
        for item in items:
            stock_row = await stock_repository.add_stock(session, item["product_id"], item["quantity"])
            await events.stock_changed(
                session, product_id=stock_row.product_id, stock=stock_row.stock, version=stock_row.version
            )
        await stock_repository.add_movements(
            session,
            [
                {
                    "product_id": item["product_id"],
                    "delta": item["quantity"],
                    "reason": reason,
                    "reference": reference,
                    "actor": actor,
                }
                for item in items
            ],
        )
    row = await repository.mark(session, reference, status="released", release_reason=reason)
    return ReservationRead.model_validate(row)
