"""The checkout saga (see docs/architecture.md). This is the one place that commits in steps.

1. One short transaction: lock the user's active cart (`SELECT ... FOR UPDATE`), then find the
   Idempotency-Key's row (locked), or the cart's pending order, or create a `pending` order with
   prices re-read from the catalog. A new key is bound to the user, the order and a fingerprint of
   the request (the cart's sorted (product_id, quantity) lines). Commit, so the order exists
   whatever happens next.
2. One reservation call to Inventory, `reference = order-<id>` (idempotent there, so resending it
   after a timeout or from the recovery job can never decrement twice).
3. One short transaction: lock the order and record the outcome through the order lifecycle
   (orders/lifecycle.py, with its history row and event) — `placed` (cart completed, its items
   removed), `rejected` (cart untouched) or `cancelled` — then lock the key's row and store the
   answer (status and body bytes) the first time it is given.

The optional body (address, shipping method, payment method; orders/choices.py) is resolved in
step 1 before the order is created: a bad choice is a 4xx and nothing exists. No body is the
original specification's flow: pickup in store, paid on pickup.

Idempotency-Key rules (keys live `IDEMPOTENCY_KEY_TTL_HOURS`, 24 h by default, like Stripe's):
- the same key and the same cart: the stored status and body, byte for byte (201 or 409);
- the same key and a different non-empty cart (or other choices): 422 `idempotency_key_reused`; an empty cart (the
  one a successful checkout leaves) replays the key's answer;
- a key whose order is still pending (e.g. after a 503) resumes at step 2 and, once settled,
  answers as a first request would;
- a new key B while the cart has a pending order started by key A (or by a request without a
  key): B is bound to that same order and resumes it. B gets the order's answer, and B's own
  retries replay B's stored answer — never `cart_empty`, although the cart is consumed by then;
- errors before an order exists (`cart_empty`, `product_unavailable`, `order_too_large`) bind
  nothing: the key stays free for the corrected cart.
Races are decided by the database: requests of one user serialize on the cart row lock, the key's
primary key (user_id, key) refuses a second binding, and the key row is locked last (after the
cart, after the order), so the lock order has no cycle. Inventory down or slow in step 2: the
order stays `pending` and the client gets 503; a retry (same key, or none) resumes at step 2, or
the recovery job does.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import structlog
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from microshop.common.errors import AppError, Conflict, InsufficientStock, error_body
from microshop.products.cart import repository as cart_repository
from microshop.products.cart.models import MAX_PRODUCTS
from microshop.products.inventory_client import InventoryClient, Reservation, ReservationItem
from microshop.products.orders import choices as checkout_choices
from microshop.products.orders import lifecycle, repository
from microshop.products.orders.choices import CartEmpty
from microshop.products.orders.models import (
    ACTOR_CUSTOMER,
    CANCELLED,
    PENDING,
    PLACED,
    REJECTED,
    IdempotencyKey,
    Order,
    OrderItem,
)
from microshop.products.orders.schemas import CheckoutRead, CheckoutRequest
from microshop.products.payments.provider import Charge
from microshop.products.stock import service as stock_service

log = structlog.get_logger(__name__)

SUCCESS_MESSAGE = "Compra exitosa"
MAX_ORDER_TOTAL = Decimal("99999999.99")  # orders.total is numeric(10,2)


class ProductUnavailable(Conflict):
    code = "product_unavailable"


class OrderTooLarge(Conflict):
    code = "order_too_large"


class OrderCancelled(Conflict):
    code = "order_cancelled"


class IdempotencyKeyReused(AppError):
    status_code, code = 422, "idempotency_key_reused"


@dataclass(frozen=True)
class Answer:
    """A checkout answer as sent: stored with its key so a replay is byte for byte the same."""

    status_code: int
    body: bytes


@dataclass(frozen=True)
class OpenOrder:
    """What steps 2 and 3 need of the order, read while step 1's transaction was open."""

    order: Order
    items: list[OrderItem]

    @property
    def reservation_items(self) -> list[ReservationItem]:
        return [ReservationItem(product_id=i.product_id, quantity=i.quantity) for i in self.items]


async def checkout(
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    inventory: InventoryClient,
    user_id: int,
    idempotency_key: str | None,
    key_ttl: timedelta,
    request: CheckoutRequest | None = None,
    currency: str,
) -> Answer:
    """Place (or resume, or replay) the order of the user's active cart."""
    async with sessionmaker.begin() as session:  # step 1
        opened = await _open_order(
            session, user_id=user_id, key=idempotency_key, key_ttl=key_ttl, request=request, currency=currency
        )
        if isinstance(opened, Answer):
            return opened
    order = opened.order
    reservation = None
    if order.status == PENDING:
        assert order.reservation_reference is not None
        reservation = await inventory.reserve(  # step 2
            order.reservation_reference, opened.reservation_items, on_behalf_of=order.user_id
        )
    async with sessionmaker.begin() as session:  # step 3
        if reservation is not None:
            actor = lifecycle.Actor(ACTOR_CUSTOMER, user_id)
            order = await settle(session, order_id=order.id, reservation=reservation, actor=actor, items=opened.items)
        if idempotency_key is None:
            return answer_for(order)
        # Bound in step 1 (it expires only after the TTL); the first answer stored is the one given.
        answer = answer_for(order)
        return Answer(
            *await repository.store_answer(
                session, user_id=user_id, key=idempotency_key, status_code=answer.status_code, body=answer.body
            )
        )


def fingerprint(lines: list[tuple[int, int]], *, request: CheckoutRequest | None = None) -> str:
    """What identifies a checkout request: the cart's (product_id, quantity) lines, sorted, and the choices sent."""
    identity: list[Any] = sorted(lines)
    if request is not None:  # a body-less request hashes as before the choices existed
        identity = [identity, request.model_dump(mode="json", exclude_none=True)]
    return hashlib.sha256(json.dumps(identity, separators=(",", ":"), sort_keys=True).encode()).hexdigest()


async def _open_order(
    session: AsyncSession,
    *,
    user_id: int,
    key: str | None,
    key_ttl: timedelta,
    request: CheckoutRequest | None,
    currency: str,
) -> OpenOrder | Answer:
    cart = await cart_repository.get_active_cart(session, user_id=user_id, for_update=True)
    rows = await cart_repository.items_with_products(session, cart_id=cart.id) if cart is not None else []
    identity = fingerprint([(row.item.product_id, row.item.quantity) for row in rows], request=request)
    bound = await repository.get_key(session, user_id=user_id, key=key) if key else None
    if bound is not None:
        if rows and bound.fingerprint != identity:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used for a different cart; use a new key for a new checkout"
            )
        if bound.status_code is not None:
            assert bound.response_body is not None
            return Answer(bound.status_code, bound.response_body)
        order = await repository.get_order(session, order_id=bound.order_id)
        assert order is not None
    else:
        order = await repository.pending_order_for_cart(session, cart_id=cart.id) if cart is not None else None
        if order is None:
            if cart is None:
                raise CartEmpty("Your cart is empty")
            new_key = repository.NewKey(key, identity, key_ttl) if key is not None else None
            order, items = await _create_order(
                session, user_id=user_id, cart_id=cart.id, key=new_key, rows=rows, request=request, currency=currency
            )
            return OpenOrder(order, items)  # bound to its key (if any) in the same statement
        if key is not None:
            bound = await repository.add_key(
                session, user_id=user_id, key=key, fingerprint=identity, order_id=order.id, ttl=key_ttl
            )
    if order.status != PENDING:  # settled meanwhile (by another request or the recovery job)
        return answer_for(order) if bound is None else await _answer_key(session, bound, order)
    return OpenOrder(order, (await repository.items_of(session, [order.id]))[order.id])


async def _answer_key(session: AsyncSession, row: IdempotencyKey, order: Order) -> Answer:
    """The key's stored answer; the first time, the settled order's answer, stored (the row is locked)."""
    if row.status_code is None:
        answer = answer_for(order)
        row.status_code, row.response_body = answer.status_code, answer.body
        await session.flush()
    assert row.status_code is not None and row.response_body is not None
    return Answer(row.status_code, row.response_body)


async def _create_order(
    session: AsyncSession,
    *,
    user_id: int,
    cart_id: int,
    key: repository.NewKey | None,
    rows: list[cart_repository.ItemWithProduct],
    request: CheckoutRequest | None,
    currency: str,
) -> tuple[Order, list[OrderItem]]:
    if not rows:
        raise CartEmpty("Your cart is empty")
    archived = [row.product.id for row in rows if row.product.archived]
    if archived:
        raise ProductUnavailable(
            "Some products in your cart are no longer sold; remove them to check out",
            details={"product_ids": archived},
        )
    lines = sorted(
        (
            repository.Line(
                product_id=row.product.id,
                name=row.product.name,
                unit_price=row.product.price,
                quantity=row.item.quantity,
            )
            for row in rows
        ),
        key=lambda line: line.product_id,
    )
    subtotal = sum((line.unit_price * line.quantity for line in lines), Decimal("0.00"))
    choices = await checkout_choices.resolve(session, user_id=user_id, request=request)
    total = subtotal + choices.shipping_price(subtotal)
    if total > MAX_ORDER_TOTAL or len(lines) > MAX_PRODUCTS:
        raise OrderTooLarge(
            f"An order holds at most {MAX_PRODUCTS} products and totals at most {MAX_ORDER_TOTAL}",
            details={"total": total, "products": len(lines)},
        )
    order, items = await repository.create_order(
        session,
        user_id=user_id,
        cart_id=cart_id,
        idempotency_key=key,
        lines=lines,
        shipping_total=choices.shipping_price(subtotal),
        snapshots=choices.snapshots(currency=currency),
    )
    charge = Charge(order_id=order.id, amount=order.total, currency=currency)
    started = await choices.payment.provider.start(charge, instructions=choices.payment.instructions)
    if (started.status, started.instructions) != (order.payment_status, order.payment_instructions):
        order.payment_status, order.payment_instructions = started.status, started.instructions
    return order, items


async def settle(
    session: AsyncSession,
    *,
    order_id: int,
    reservation: Reservation,
    actor: lifecycle.Actor = lifecycle.SYSTEM,
    items: list[OrderItem] | None = None,
) -> Order:
    """Record Inventory's answer on a pending order (locked); an order already settled is left as is."""
    order = await lifecycle.lock(session, order_id=order_id)
    if order.status != PENDING:
        return order
    if reservation.status == "committed":
        await cart_repository.complete_cart(session, cart_id=order.cart_id)
        # The buyer sees the stock their order left before the event comes.
        await stock_service.remember(session, levels=reservation.levels)
        to = PLACED
    elif reservation.status == "rejected":
        order.short = [
            {"product_id": s.product_id, "requested": s.requested, "available": s.available} for s in reservation.short
        ]
        to = REJECTED
    else:
        to = CANCELLED
    await lifecycle.apply(session, order=order, actor=actor if to == PLACED else lifecycle.SYSTEM, to=to, items=items)
    log.info("order_settled", order_id=order.id, status=order.status, reference=order.reservation_reference)
    return order


def answer_for(order: Order) -> Answer:
    """A settled order's answer as the client receives it (rendered as the error handler renders errors)."""
    try:
        response = JSONResponse(outcome(order).model_dump(mode="json"), status_code=201)
    except AppError as exc:
        response = JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status_code)
    return Answer(response.status_code, bytes(response.body))


def outcome(order: Order) -> CheckoutRead:
    """The checkout answer for a settled order: the same every time it is asked (idempotent replay)."""
    if order.status not in (PENDING, REJECTED, CANCELLED):  # placed, and maybe shipped since
        return CheckoutRead(message=SUCCESS_MESSAGE, order_id=order.id, total=order.total, currency=order.currency)
    if order.status == REJECTED:
        raise InsufficientStock(
            order.short or [], message="Not enough stock for some items in your cart", order_id=order.id
        )
    raise OrderCancelled(f"Order {order.id} was cancelled", details={"order_id": order.id})
