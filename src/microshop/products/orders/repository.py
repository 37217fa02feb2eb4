"""SQL for orders and their item snapshots."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import CTE, Select, String, cast, delete, func, literal, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from microshop.common.db import execute_count, table_of
from microshop.common.pagination import PageParams, paginate
from microshop.products.orders.models import PENDING, IdempotencyKey, Order, OrderEvent, OrderItem
from microshop.products.orders.schemas import OrderFilters
from microshop.products.payments.models import PaymentMethodSetting
from microshop.products.shipping.models import ShippingMethod

orders, order_items, order_events = table_of(Order), table_of(OrderItem), table_of(OrderEvent)
idempotency_keys = table_of(IdempotencyKey)


@dataclass(frozen=True)
class Line:
    product_id: int
    name: str
    unit_price: Decimal
    quantity: int

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


async def get_order(session: AsyncSession, *, order_id: int, for_update: bool = False) -> Order | None:
    query = select(Order).where(Order.id == order_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def pending_order_for_cart(session: AsyncSession, *, cart_id: int) -> Order | None:
    query = select(Order).where(Order.cart_id == cart_id, Order.status == PENDING)
    return (await session.execute(query)).scalar_one_or_none()


@dataclass(frozen=True)
class NewKey:
    """An Idempotency-Key to bind to the order being created."""

    key: str
    fingerprint: str
    ttl: timedelta


async def create_order(
    session: AsyncSession,
    *,
    user_id: int,
    cart_id: int,
    idempotency_key: NewKey | None,
    lines: Sequence[Line],
    shipping_total: Decimal,
    snapshots: Mapping[str, Any],
) -> tuple[Order, list[OrderItem]]:
    """A pending order with its item snapshots, its choices' `snapshots` (Order columns) and its new
    Idempotency-Key row, in one statement; its reservation reference is `order-<id>`.

    The id is drawn first (a CTE), so the reference goes in with the row and the items and the key
    name it in the same statement. The items come back as built here (detached: nothing reads them
    from the session).
    """
    subtotal = sum((line.line_total for line in lines), Decimal("0.00"))
    new_id = select(func.nextval(func.pg_get_serial_sequence(orders.fullname, "id")).label("id")).cte("new_id")
    values: dict[str, Any] = {
        "user_id": user_id,
        "cart_id": cart_id,
        "status": PENDING,
        "idempotency_key": idempotency_key.key if idempotency_key else None,
        "subtotal": subtotal,
        "shipping_total": shipping_total,
        "total": subtotal + shipping_total,
        **snapshots,
    }
    row = select(
        new_id.c.id,
        literal("order-") + cast(new_id.c.id, String),
        *(literal(value, orders.c[name].type) for name, value in values.items()),
    )
    statement = (
        insert(orders)
        .from_select(["id", "reservation_reference", *values], row)
        .returning(*orders.c)
        .add_cte(_insert_items(new_id, lines))
    )
    if idempotency_key is not None:
        statement = statement.add_cte(_insert_key(new_id, user_id=user_id, key=idempotency_key))
    order = (await session.execute(select(Order).from_statement(statement))).scalar_one()
    items = [
        OrderItem(
            order_id=order.id,
            product_id=line.product_id,
            name=line.name,
            unit_price=line.unit_price,
            quantity=line.quantity,
            line_total=line.line_total,
        )
        for line in lines
    ]
    return order, items


def _insert_items(new_id: CTE, lines: Sequence[Line]) -> CTE:
    columns = ("product_id", "name", "unit_price", "quantity", "line_total")
    arrays = [literal([getattr(line, name) for line in lines], ARRAY(order_items.c[name].type)) for name in columns]
    unnested = func.unnest(*arrays).table_valued(*columns).render_derived("line")
    rows = select(new_id.c.id, *(unnested.c[name] for name in columns)).select_from(new_id.join(unnested, true()))
    return insert(order_items).from_select(["order_id", *columns], rows).cte("new_items")


def _insert_key(new_id: CTE, *, user_id: int, key: NewKey) -> CTE:
    row = select(literal(user_id), literal(key.key), literal(key.fingerprint), new_id.c.id, func.now() + key.ttl)
    columns = ["user_id", "key", "fingerprint", "order_id", "expires_at"]
    return insert(idempotency_keys).from_select(columns, row).cte("new_key")


async def move(
    session: AsyncSession, *, order: Order, changes: Mapping[str, Any], history: Sequence[Mapping[str, Any]]
) -> None:
    """Change a (locked) order's columns and write its history rows, in one statement; the loaded
    `order` is brought up to date without another flush."""
    rows = insert(order_events).values(list(history)).cte("history")
    statement = update(orders).where(orders.c.id == order.id).values(**changes).returning(orders.c.updated_at)
    updated_at = (await session.execute(statement.add_cte(rows))).scalar_one()
    for name, value in {**changes, "updated_at": updated_at}.items():
        set_committed_value(order, name, value)


async def default_choice(
    session: AsyncSession, *, payment_code: str
) -> tuple[ShippingMethod, PaymentMethodSetting] | None:
    """The default shipping method and a payment method's settings in one statement (the body-less checkout)."""
    query = (
        select(ShippingMethod, PaymentMethodSetting)
        .join(PaymentMethodSetting, PaymentMethodSetting.code == payment_code)
        .where(ShippingMethod.is_default.is_(True))
    )
    row = (await session.execute(query)).one_or_none()
    return (row[0], row[1]) if row is not None else None


async def items_of(session: AsyncSession, order_ids: Sequence[int]) -> dict[int, list[OrderItem]]:
    """The item snapshots of several orders, by order id, in product order."""
    items: dict[int, list[OrderItem]] = {order_id: [] for order_id in order_ids}
    if not order_ids:
        return items
    rows = await session.execute(
        select(OrderItem).where(OrderItem.order_id.in_(order_ids)).order_by(OrderItem.order_id, OrderItem.product_id)
    )
    for item in rows.scalars():
        items[item.order_id].append(item)
    return items


async def history_of(session: AsyncSession, order_ids: Sequence[int]) -> dict[int, list[OrderEvent]]:
    """The history rows of several orders, by order id, oldest first."""
    history: dict[int, list[OrderEvent]] = {order_id: [] for order_id in order_ids}
    if not order_ids:
        return history
    rows = await session.scalars(
        select(OrderEvent).where(OrderEvent.order_id.in_(order_ids)).order_by(OrderEvent.order_id, OrderEvent.id)
    )
    for event in rows:
        history[event.order_id].append(event)
    return history


def filtered(filters: OrderFilters | None = None, *, user_id: int | None = None) -> Select[Order]:
    """Orders newest first: one user's (`user_id`), or those matching the admin's filters."""
    query = select(Order).order_by(Order.created_at.desc(), Order.id.desc())
    if user_id is not None:
        query = query.where(Order.user_id == user_id)
    if filters is not None:
        for column, value in (
            (Order.status, filters.status),
            (Order.payment_status, filters.payment_status),
            (Order.user_id, filters.user_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if filters.created_from is not None:
            query = query.where(Order.created_at >= filters.created_from)
        if filters.created_to is not None:
            query = query.where(Order.created_at < filters.created_to)
    return query


async def list_orders(session: AsyncSession, *, query: Select[Order], page: PageParams) -> tuple[list[Order], int]:
    return await paginate(session, query, page)


async def lock_stale_pending(
    session: AsyncSession, *, min_age: timedelta, abandon_after: timedelta, limit: int
) -> list[tuple[Order, bool]]:
    """Pending orders older than `min_age` that no one else holds, locked, each with "abandoned?".

    `SKIP LOCKED`: replicas (and a checkout finishing its own order) never wait for each other.
    Ages are measured on the database clock, the one `created_at` was written with.
    """
    abandoned = (Order.created_at < func.now() - abandon_after).label("abandoned")
    rows = await session.execute(
        select(Order, abandoned)
        .where(Order.status == PENDING, Order.created_at < func.now() - min_age)
        .order_by(Order.created_at)
        .limit(limit)
        .with_for_update(of=Order, skip_locked=True)
    )
    return [(row.Order, bool(row.abandoned)) for row in rows]


async def get_key(session: AsyncSession, *, user_id: int, key: str) -> IdempotencyKey | None:
    """A live key, locked until the transaction ends; an expired one is deleted (its name is free again).

    One statement: the DELETE is a CTE, and the locking SELECT skips the row it deletes.
    """
    mine = (IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    expired = delete(IdempotencyKey).where(*mine, IdempotencyKey.expires_at <= func.now()).cte("expired")
    query = select(IdempotencyKey).where(*mine, IdempotencyKey.expires_at > func.now()).add_cte(expired)
    return (await session.execute(query.with_for_update())).scalar_one_or_none()


async def store_answer(
    session: AsyncSession, *, user_id: int, key: str, status_code: int, body: bytes
) -> tuple[int, bytes]:
    """The key's answer: this one, stored if it had none yet, else the one stored first (one statement
    in the first case, which is the usual one)."""
    mine = (idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key)
    stored = (
        update(idempotency_keys)
        .where(*mine, idempotency_keys.c.status_code.is_(None))
        .values(status_code=status_code, response_body=body)
        .returning(idempotency_keys.c.status_code, idempotency_keys.c.response_body)
    )
    row = (await session.execute(stored)).first()
    if row is None:  # answered already (another request with the same key): that answer stands
        query = select(idempotency_keys.c.status_code, idempotency_keys.c.response_body).where(*mine)
        row = (await session.execute(query)).one()
    assert row.status_code is not None and row.response_body is not None
    return row.status_code, row.response_body


async def add_key(
    session: AsyncSession, *, user_id: int, key: str, fingerprint: str, order_id: int, ttl: timedelta
) -> IdempotencyKey:
    row = IdempotencyKey(
        user_id=user_id, key=key, fingerprint=fingerprint, order_id=order_id, expires_at=func.now() + ttl
    )
    session.add(row)
    await session.flush()
    return row


async def delete_expired_keys(session: AsyncSession) -> int:
    return await execute_count(session, delete(IdempotencyKey).where(IdempotencyKey.expires_at <= func.now()))
