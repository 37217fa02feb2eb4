"""Create the inventory, movements and reservations tables.

Revision ID: 0001_inventory
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_inventory"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "inventory"


def upgrade() -> None:
    op.create_table(
        "inventory",
        sa.Column("product_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("stock", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("stock >= 0", name="ck_inventory_stock_not_negative"),
        sa.PrimaryKeyConstraint("product_id", name="pk_inventory"),
        schema=SCHEMA,
    )
    op.create_index("ix_inventory_inventory_stock", "inventory", ["stock"], schema=SCHEMA)
    op.create_table(
        "movements",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("reference", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("delta <> 0", name="ck_movements_delta_not_zero"),
        sa.PrimaryKeyConstraint("id", name="pk_movements"),
        schema=SCHEMA,
    )
    op.create_index("ix_movements_product_id_id", "movements", ["product_id", "id"], schema=SCHEMA)
    op.create_table(
        "reservations",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("items", postgresql.JSONB(), nullable=False),
        sa.Column("short", postgresql.JSONB(), nullable=True),
        sa.Column("release_reason", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("status IN ('committed', 'rejected', 'released')", name="ck_reservations_status_known"),
        sa.PrimaryKeyConstraint("id", name="pk_reservations"),
        sa.UniqueConstraint("reference", name="uq_reservations_reference"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("reservations", schema=SCHEMA)
    op.drop_index("ix_movements_product_id_id", table_name="movements", schema=SCHEMA)
    op.drop_table("movements", schema=SCHEMA)
    op.drop_index("ix_inventory_inventory_stock", table_name="inventory", schema=SCHEMA)
    op.drop_table("inventory", schema=SCHEMA)
