"""Orders with item snapshots: what was bought, at which price, whatever the catalog says later."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from microshop.products.base import Base

# The order's lifecycle and its payment's, and which moves are allowed: orders/lifecycle.py.
PENDING, PLACED, SHIPPED, DELIVERED = "pending", "placed", "shipped", "delivered"
REJECTED, CANCELLED = "rejected", "cancelled"
STATUSES = (PENDING, PLACED, SHIPPED, DELIVERED, REJECTED, CANCELLED)
UNPAID, PAID, REFUNDED = "unpaid", "paid", "refunded"
PAYMENT_STATUSES = (UNPAID, PAID, REFUNDED)
ACTOR_CUSTOMER, ACTOR_ADMIN, ACTOR_SYSTEM = "customer", "admin", "system"


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Order(Base):
    __tablename__ = "orders"
    __mapper_args__ = {"eager_defaults": True}  # created_at/updated_at readable after flush
    __table_args__ = (
        CheckConstraint(_one_of("status", STATUSES), name="status"),
        CheckConstraint(_one_of("payment_status", PAYMENT_STATUSES), name="payment_status"),
        CheckConstraint("total >= 0", name="total"),
        CheckConstraint("subtotal >= 0 AND shipping_total >= 0", name="totals"),
        UniqueConstraint("reservation_reference", name="uq_orders_reservation_reference"),
        # A cart has at most one pending order: a retry resumes it instead of making another.
        Index("uq_orders_cart_id_pending", "cart_id", unique=True, postgresql_where=text("status = 'pending'")),
        Index("ix_orders_user_id_created_at", "user_id", "created_at"),
        Index("ix_orders_pending_created_at", "created_at", postgresql_where=text("status = 'pending'")),
        Index("ix_orders_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    cart_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("carts.id"))
    status: Mapped[str] = mapped_column(String(20), server_default=PENDING)
    payment_status: Mapped[str] = mapped_column(String(20), server_default=UNPAID)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    shipping_total: Mapped[Decimal] = mapped_column(Numeric(10, 2), server_default=text("0"))
    total: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    # Snapshots taken at checkout: later edits of the address, the method or the instructions leave them be.
    address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    shipping_method_id: Mapped[int | None] = mapped_column(BigInteger)
    shipping_name: Mapped[str | None] = mapped_column(String(100))
    shipping_pickup: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    payment_method: Mapped[str | None] = mapped_column(String(30))
    payment_name: Mapped[str | None] = mapped_column(String(100))
    payment_instructions: Mapped[str | None] = mapped_column(Text)
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    placed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The key that created the order, for reading; idempotency_keys binds keys (and frees them after their TTL).
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    reservation_reference: Mapped[str | None] = mapped_column(String(100))
    # Inventory's shortage list for a rejected order, so a replay answers exactly as the first time.
    short: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity"),
        UniqueConstraint("order_id", "product_id", name="uq_order_items_order_id_product_id"),
        Index("ix_order_items_product_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # No foreign key on purpose: its KEY SHARE lock on the order, taken while the cart is locked,
    # would invert the saga's lock order (order, then cart) and deadlock with the recovery job.
    order_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(255))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    quantity: Mapped[int]
    line_total: Mapped[Decimal] = mapped_column(Numeric(10, 2))


class IdempotencyKey(Base):
    """One client's Idempotency-Key, bound to its request (the cart's lines) and, once settled, its answer."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_expires_at", "expires_at"),)

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the sorted (product_id, quantity) lines
    order_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("orders.id", ondelete="CASCADE"))
    # Both NULL while the first request is in flight (its order pending); then the answer, byte for byte.
    status_code: Mapped[int | None] = mapped_column()
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OrderEvent(Base):
    """One step of an order's history: a status change or a payment change, who made it and why."""

    __tablename__ = "order_events"
    __table_args__ = (
        CheckConstraint("kind IN ('status', 'payment')", name="kind"),
        CheckConstraint(_one_of("actor", (ACTOR_CUSTOMER, ACTOR_ADMIN, ACTOR_SYSTEM)), name="actor"),
        Index("ix_order_events_order_id_id", "order_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # No foreign key, as for order_items: the order row is locked by whoever writes here.
    order_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(10))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
