"""Reservations: all-or-nothing, idempotent on the reference, released at most once."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.db import AnyRow, own_transaction
from microshop.common.errors import InsufficientStock, ServiceUnavailable
from microshop.inventory import events
from microshop.inventory.errors import ReferenceConflict, ReservationNotFound, ReservationReleased
from microshop.inventory.reservations import repository
from microshop.inventory.reservations.schemas import ReservationCreate, ReservationRead, StockLevelAfter
from microshop.inventory.stock import repository as stock_repository

# A shortage seen while taking units can vanish before it is measured (a release came in between);
# the units are then tried again, this many times, before the shortage is reported as seen.
TAKE_ATTEMPTS = 3


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
    attempt = await session.begin_nested()
    row = await repository.claim(session, reference=request.reference, items=items)
    if row is None:
        await attempt.rollback()
        replayed = _replay(await repository.get(session, request.reference), items)
        return ReserveOutcome(await _with_levels(session, replayed), created=False)
    taken, short = await _take_all(session, items, reference=request.reference, actor=actor)
    if not short:
        for stock_row in taken:
            await events.stock_changed(
                session, product_id=stock_row.product_id, stock=stock_row.stock, version=stock_row.version
            )
        await attempt.commit()
        levels = [StockLevelAfter(product_id=r.product_id, stock=r.stock, version=r.version) for r in taken]
        reservation = ReservationRead.model_validate(row).model_copy(update={"levels": levels})
        return ReserveOutcome(reservation, created=True)
    await attempt.rollback()  # lets go of the claim and of the stock rows it locked
    # In a transaction of its own: the rejection stands although this request answers 409.
    async with own_transaction(session) as rejection:
        rejected = await repository.claim(
            rejection, reference=request.reference, items=items, status="rejected", short=short
        )
        stored = rejected or await repository.get(rejection, request.reference)
    if rejected is None:  # a call with the same reference got there in between: its outcome stands
        return ReserveOutcome(_replay(stored, items), created=False)
    raise InsufficientStock(short, reference=request.reference)


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


async def _take_all(
    session: AsyncSession, items: list[dict[str, int]], *, reference: str, actor: str
) -> tuple[list[AnyRow], list[dict[str, int]]]:
    """Decrement every item (with its movement) in product-id order, all or nothing.

    The stock rows as taken and no shortage, or no rows and the shortage.
    """
    failed: dict[str, int] = {}
    for _ in range(TAKE_ATTEMPTS):
        taken, failed = await _take_in_order(session, items, reference=reference, actor=actor)
        if not failed:
            return taken, []
        stock = await stock_repository.stock_of(session, [item["product_id"] for item in items])
        short = [
            {
                "product_id": item["product_id"],
                "requested": item["quantity"],
                "available": stock.get(item["product_id"], 0),
            }
            for item in items
            if stock.get(item["product_id"], 0) < item["quantity"]
        ]
        if short:
            return [], short
    available = (await stock_repository.stock_of(session, [failed["product_id"]])).get(failed["product_id"], 0)
    return [], [{"product_id": failed["product_id"], "requested": failed["quantity"], "available": available}]


async def _take_in_order(
    session: AsyncSession, items: list[dict[str, int]], *, reference: str, actor: str
) -> tuple[list[AnyRow], dict[str, int]]:
    """One conditional UPDATE per item: the rows taken; on the first short item, undo the others and return it."""

    async def take(item: dict[str, int]) -> AnyRow | None:
        return await stock_repository.take_stock_logged(
            session, **item, reason="reservation", reference=reference, actor=actor
        )

    if len(items) == 1:  # nothing to undo when the only item is short
        row = await take(items[0])
        return ([row], {}) if row is not None else ([], items[0])
    savepoint = await session.begin_nested()
    taken = []
    for item in items:
        row = await take(item)
        if row is None:
            await savepoint.rollback()
            return [], item
        taken.append(row)
    await savepoint.commit()
    return taken, {}


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
