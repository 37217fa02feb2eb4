"""SQL for reservation records. The UNIQUE reference decides which of two simultaneous calls acts."""

from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, Select, String, bindparam, column, exists, func, literal, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.db import AnyRow, table_of
from microshop.inventory.reservations.models import Reservation
from microshop.inventory.stock.repository import inventory, movements

reservations = table_of(Reservation)
RESERVATION_COLUMNS = tuple(column.name for column in reservations.columns)


class Level(NamedTuple):
    product_id: int
    stock: int
    version: int


@dataclass(frozen=True)
class Attempt:
    """What `reserve_all` did: the new reservation and its products' levels as taken, or neither and the
    shortage (nothing short and nothing claimed: the reference is known already)."""

    reservation: dict[str, Any] | None
    levels: list[Level]
    short: list[dict[str, int]]


def _reserve_all_statement() -> Select[Any]:
    """The statement of `reserve_all`, built once (its values are bound per call)."""
    pairs = (
        func.unnest(bindparam("product_ids", type_=ARRAY(BigInteger)), bindparam("quantities", type_=ARRAY(BigInteger)))
        .table_valued(column("product_id", BigInteger), column("quantity", BigInteger))
        .render_derived("pairs")
    )
    wanted = select(pairs.c.product_id, pairs.c.quantity).cte("wanted")
    seen = (
        select(wanted.c.product_id, wanted.c.quantity, func.coalesce(inventory.c.stock, 0).label("available"))
        .select_from(wanted.outerjoin(inventory, inventory.c.product_id == wanted.c.product_id))
        .cte("seen")
    )
    seems_enough = select(func.bool_and(seen.c.available >= seen.c.quantity)).scalar_subquery()
    locked = (
        select(inventory.c.product_id, inventory.c.stock)
        .where(inventory.c.product_id.in_(select(wanted.c.product_id)), seems_enough)
        .order_by(inventory.c.product_id)
        .with_for_update()
        .cte("locked")
    )
    enough = (
        select(func.bool_and(func.coalesce(locked.c.stock, 0) >= wanted.c.quantity))
        .select_from(wanted.outerjoin(locked, locked.c.product_id == wanted.c.product_id))
        .scalar_subquery()
    )
    reference = bindparam("reference", type_=String)
    claim = select(reference, literal("committed"), bindparam("items", type_=JSONB)).where(enough)
    claimed = (
        insert(reservations)
        .from_select(["reference", "status", "items"], claim)
        .on_conflict_do_nothing(index_elements=["reference"])
        .returning(reservations)
        .cte("claimed")
    )
    taken = (
        update(inventory)
        .where(
            inventory.c.product_id == wanted.c.product_id,
            inventory.c.stock >= wanted.c.quantity,
            exists(select(claimed.c.id)),
        )
        .values(stock=inventory.c.stock - wanted.c.quantity, version=inventory.c.version + 1, updated_at=func.now())
        .returning(inventory.c.product_id, inventory.c.stock, inventory.c.version)
        .cte("taken")
    )
    moved = select(
        taken.c.product_id, -wanted.c.quantity, literal("reservation"), reference, bindparam("actor", type_=String)
    )
    logged = (
        insert(movements)
        .from_select(
            ["product_id", "delta", "reason", "reference", "actor"],
            moved.join_from(taken, wanted, taken.c.product_id == wanted.c.product_id),
        )
        .cte("logged")
    )
    # The movements are a data-modifying CTE: PostgreSQL runs it although the query does not read it.
    return (
        select(
            seen.c.product_id,
            seen.c.quantity,
            func.coalesce(locked.c.stock, seen.c.available).label("available"),
            taken.c.stock.label("taken_stock"),
            taken.c.version.label("taken_version"),
            *(claimed.c[name].label(f"claimed_{name}") for name in RESERVATION_COLUMNS),
        )
        .select_from(
            seen.outerjoin(locked, locked.c.product_id == seen.c.product_id)
            .outerjoin(taken, taken.c.product_id == seen.c.product_id)
            .outerjoin(claimed, true())
        )
        .add_cte(logged)
        .order_by(seen.c.product_id)
    )


RESERVE_ALL = _reserve_all_statement()


async def reserve_all(session: AsyncSession, *, reference: str, items: list[dict[str, int]], actor: str) -> Attempt:
    """Claim the reference and take every item (sorted by product id) with its movement, or change nothing.

    One statement. The stock rows are read in its snapshot; only if every item seems available are
    they locked, in product-id order (two baskets never deadlock each other), and checked again.
    Then the reference is inserted, and only if that inserted a row are the units taken and logged.
    A short item or a known reference leaves stock, ledger and reservations as they were: nothing
    to undo (no savepoint), and a rejection can be recorded in a transaction of its own.
    """
    params = {
        "product_ids": [item["product_id"] for item in items],
        "quantities": [item["quantity"] for item in items],
        "reference": reference,
        "items": items,
        "actor": actor,
    }
    rows = (await session.execute(RESERVE_ALL, params)).all()
    if rows[0].claimed_id is not None:
        reservation = {name: getattr(rows[0], f"claimed_{name}") for name in RESERVATION_COLUMNS}
        return Attempt(reservation, [Level(r.product_id, r.taken_stock, r.taken_version) for r in rows], [])
    short = [
        {"product_id": r.product_id, "requested": r.quantity, "available": r.available}
        for r in rows
        if r.available < r.quantity
    ]
    return Attempt(None, [], short)


async def claim(
    session: AsyncSession,
    *,
    reference: str,
    items: list[dict[str, int]],
    status: str = "committed",
    short: list[dict[str, int]] | None = None,
) -> AnyRow | None:
    """Insert the reference with its outcome; None when it already exists (a concurrent insert is waited for)."""
    statement = (
        insert(reservations)
        .values(reference=reference, status=status, items=items, short=short)
        .on_conflict_do_nothing(index_elements=["reference"])
        .returning(reservations)
    )
    return (await session.execute(statement)).first()


async def tombstone(session: AsyncSession, *, reference: str, reason: str) -> AnyRow | None:
    """Record an unknown reference as released, so it can never commit later; None if it exists now."""
    statement = (
        insert(reservations)
        .values(reference=reference, status="released", items=[], release_reason=reason)
        .on_conflict_do_nothing(index_elements=["reference"])
        .returning(reservations)
    )
    return (await session.execute(statement)).first()


async def get(session: AsyncSession, reference: str, *, lock: bool = False) -> AnyRow | None:
    """One reservation, optionally locked until the transaction ends."""
    query = select(reservations).where(reservations.c.reference == reference)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def mark(session: AsyncSession, reference: str, **values: Any) -> AnyRow:
    """Change a reservation's status (and `short` or `release_reason`)."""
    statement = (
        update(reservations)
        .where(reservations.c.reference == reference)
        .values(updated_at=func.now(), **values)
        .returning(reservations)
    )
    return (await session.execute(statement)).one()
