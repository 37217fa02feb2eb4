"""Create carts, cart items, orders and order item snapshots.

Revision ID: p0002_cart_orders
Revises: p0001_catalog
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "p0002_cart_orders"
down_revision: str | None = "p0001_catalog"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "products"


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "carts",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(20), server_default="active", nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_carts"),
        sa.CheckConstraint("status IN ('active', 'completed')", name="ck_carts_status"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_carts_user_id_active",
        "carts",
        ["user_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "cart_items",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("cart_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_cart_items"),
        sa.ForeignKeyConstraint(
            ["cart_id"], [f"{SCHEMA}.carts.id"], name="fk_cart_items_cart_id_carts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["product_id"], [f"{SCHEMA}.products.id"], name="fk_cart_items_product_id_products"),
        sa.UniqueConstraint("cart_id", "product_id", name="uq_cart_items_cart_id_product_id"),
        sa.CheckConstraint("quantity BETWEEN 1 AND 99", name="ck_cart_items_quantity"),
        schema=SCHEMA,
    )
    op.create_index("ix_cart_items_product_id", "cart_items", ["product_id"], schema=SCHEMA)
    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("cart_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(20), server_default="pending", nullable=False),
        sa.Column("total", sa.Numeric(10, 2), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=True),
        sa.Column("reservation_reference", sa.String(100), nullable=True),
        sa.Column("short", postgresql.JSONB(), nullable=True),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.ForeignKeyConstraint(["cart_id"], [f"{SCHEMA}.carts.id"], name="fk_orders_cart_id_carts"),
        sa.UniqueConstraint("user_id", "idempotency_key", name="uq_orders_user_id_idempotency_key"),
        sa.UniqueConstraint("reservation_reference", name="uq_orders_reservation_reference"),
        sa.CheckConstraint("status IN ('pending', 'completed', 'rejected', 'cancelled')", name="ck_orders_status"),
        sa.CheckConstraint("total >= 0", name="ck_orders_total"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_orders_cart_id_pending",
        "orders",
        ["cart_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_orders_user_id_created_at", "orders", ["user_id", "created_at"], schema=SCHEMA)
    op.create_index(
        "ix_orders_pending_created_at",
        "orders",
        ["created_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "order_items",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("unit_price", sa.Numeric(10, 2), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("line_total", sa.Numeric(10, 2), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_order_items"),
        sa.ForeignKeyConstraint(
            ["order_id"], [f"{SCHEMA}.orders.id"], name="fk_order_items_order_id_orders", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("order_id", "product_id", name="uq_order_items_order_id_product_id"),
        sa.CheckConstraint("quantity > 0", name="ck_order_items_quantity"),
        schema=SCHEMA,
    )
    op.create_index("ix_order_items_product_id", "order_items", ["product_id"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("order_items", schema=SCHEMA)
    op.drop_table("orders", schema=SCHEMA)
    op.drop_table("cart_items", schema=SCHEMA)
    op.drop_table("carts", schema=SCHEMA)
