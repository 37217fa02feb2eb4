"""Create shipping_methods, with the default a checkout without a body uses: pickup in store, free.

Revision ID: p0007_shipping_methods
Revises: p0006_addresses
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0007_shipping_methods"
down_revision: str | None = "p0006_addresses"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "products"


def upgrade() -> None:
    op.create_table(
        "shipping_methods",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
        sa.Column("free_above", sa.Numeric(10, 2), nullable=True),
        sa.Column("pickup", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_shipping_methods"),
        sa.CheckConstraint("price >= 0", name="ck_shipping_methods_price"),
        sa.CheckConstraint("free_above IS NULL OR free_above >= 0", name="ck_shipping_methods_free_above"),
        sa.CheckConstraint(
            "NOT is_default OR (pickup AND active)", name="ck_shipping_methods_default_is_active_pickup"
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_shipping_methods_default",
        "shipping_methods",
        ["is_default"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("is_default"),
    )
    op.execute(
        "INSERT INTO products.shipping_methods (name, price, pickup, active, is_default)"
        " VALUES ('Pickup in store', 0, true, true, true)"
    )


def downgrade() -> None:
    op.drop_table("shipping_methods", schema=SCHEMA)
