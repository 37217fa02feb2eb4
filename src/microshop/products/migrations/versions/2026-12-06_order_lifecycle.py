"""The order lifecycle: completed becomes placed, shipped and delivered exist, a payment status, a history.

Revision ID: p0005_order_lifecycle
Revises: p0004_stock_levels
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0005_order_lifecycle"
down_revision: str | None = "p0004_stock_levels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "products"
STATUSES = "'pending', 'placed', 'shipped', 'delivered', 'rejected', 'cancelled'"


def upgrade() -> None:
    op.drop_constraint("ck_orders_status", "orders", schema=SCHEMA, type_="check")
    op.execute("UPDATE products.orders SET status = 'placed' WHERE status = 'completed'")
    op.create_check_constraint("ck_orders_status", "orders", f"status IN ({STATUSES})", schema=SCHEMA)
    op.add_column(
        "orders", sa.Column("payment_status", sa.String(20), server_default="unpaid", nullable=False), schema=SCHEMA
    )
    op.create_check_constraint(
        "ck_orders_payment_status", "orders", "payment_status IN ('unpaid', 'paid', 'refunded')", schema=SCHEMA
    )
    op.add_column("orders", sa.Column("carrier", sa.String(100), nullable=True), schema=SCHEMA)
    op.add_column("orders", sa.Column("tracking_number", sa.String(100), nullable=True), schema=SCHEMA)
    op.add_column("orders", sa.Column("placed_at", sa.DateTime(timezone=True), nullable=True), schema=SCHEMA)
    op.execute("UPDATE products.orders SET placed_at = updated_at WHERE status = 'placed'")
    op.create_index("ix_orders_created_at", "orders", ["created_at"], schema=SCHEMA)
    op.create_table(
        "order_events",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(10), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_order_events"),
        sa.CheckConstraint("kind IN ('status', 'payment')", name="ck_order_events_kind"),
        sa.CheckConstraint("actor IN ('customer', 'admin', 'system')", name="ck_order_events_actor"),
        schema=SCHEMA,
    )
    op.create_index("ix_order_events_order_id_id", "order_events", ["order_id", "id"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("order_events", schema=SCHEMA)
    op.drop_index("ix_orders_created_at", table_name="orders", schema=SCHEMA)
    for column in ("placed_at", "tracking_number", "carrier", "payment_status"):
        op.drop_column("orders", column, schema=SCHEMA)
    op.drop_constraint("ck_orders_status", "orders", schema=SCHEMA, type_="check")
    op.execute("UPDATE products.orders SET status = 'completed' WHERE status IN ('placed', 'shipped', 'delivered')")
    op.create_check_constraint(
        "ck_orders_status", "orders", "status IN ('pending', 'completed', 'rejected', 'cancelled')", schema=SCHEMA
    )
