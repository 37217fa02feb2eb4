"""A version per product's stock, and the outbox of the events Inventory publishes.

Revision ID: 0002_stock_events
Revises: 0001_inventory
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_stock_events"
down_revision: str | None = "0001_inventory"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "inventory"


def upgrade() -> None:
    # Existing rows start at 1, as a new row does; the next change makes them 2.
    op.add_column(
        "inventory",
        sa.Column("version", sa.BigInteger(), server_default=sa.text("1"), nullable=False),
        schema=SCHEMA,
    )
    # Exactly common/events/outbox.py's outbox_table.
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_outbox"),
        sa.UniqueConstraint("id", name="uq_outbox_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_outbox_unsent", "outbox", ["seq"], schema=SCHEMA, postgresql_where=sa.text("sent_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_outbox_unsent", table_name="outbox", schema=SCHEMA)
    op.drop_table("outbox", schema=SCHEMA)
    op.drop_column("inventory", "version", schema=SCHEMA)
