"""Create stock_levels: Products' read model of Inventory's stock, fed by its events.

Revision ID: p0004_stock_levels
Revises: p0003_idempotency_keys
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0004_stock_levels"
down_revision: str | None = "p0003_idempotency_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "products"


def upgrade() -> None:
    op.create_table(
        "stock_levels",
        # No foreign key to products: an event may name a product before its row is visible here.
        sa.Column("product_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("product_id", name="pk_stock_levels"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("stock_levels", schema=SCHEMA)
