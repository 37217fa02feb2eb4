"""Orders keep what checkout chose: currency, subtotal and shipping, address, shipping and payment method.

Orders placed before are what the original checkout made: picked up in store, paid on pickup.

Revision ID: p0009_order_snapshots
Revises: p0008_payment_methods
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "p0009_order_snapshots"
down_revision: str | None = "p0008_payment_methods"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "products"
COLUMNS = (
    "currency",
    "subtotal",
    "shipping_total",
    "address",
    "shipping_method_id",
    "shipping_name",
    "shipping_pickup",
    "payment_method",
    "payment_name",
    "payment_instructions",
)


def upgrade() -> None:
    add: list[sa.Column[object]] = [
        sa.Column("currency", sa.String(3), server_default="EUR", nullable=False),
        sa.Column("subtotal", sa.Numeric(10, 2), nullable=True),
        sa.Column("shipping_total", sa.Numeric(10, 2), server_default=sa.text("0"), nullable=False),
        sa.Column("address", postgresql.JSONB(), nullable=True),
        sa.Column("shipping_method_id", sa.BigInteger(), nullable=True),
        sa.Column("shipping_name", sa.String(100), nullable=True),
        sa.Column("shipping_pickup", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("payment_method", sa.String(30), nullable=True),
        sa.Column("payment_name", sa.String(100), nullable=True),
        sa.Column("payment_instructions", sa.Text(), nullable=True),
    ]
    for column in add:
        op.add_column("orders", column, schema=SCHEMA)
    op.execute("""UPDATE products.orders SET subtotal = total, shipping_name = 'Pickup in store',
            shipping_method_id = (SELECT id FROM products.shipping_methods WHERE is_default),
            payment_method = 'cash_on_pickup', payment_name = 'Cash on pickup'""")
    op.alter_column("orders", "subtotal", nullable=False, schema=SCHEMA)
    op.alter_column("orders", "currency", server_default=None, schema=SCHEMA)  # every new order names it
    op.create_check_constraint("ck_orders_totals", "orders", "subtotal >= 0 AND shipping_total >= 0", schema=SCHEMA)


def downgrade() -> None:
    op.drop_constraint("ck_orders_totals", "orders", schema=SCHEMA, type_="check")
    for column in reversed(COLUMNS):
        op.drop_column("orders", column, schema=SCHEMA)
