"""Create idempotency_keys: each Idempotency-Key bound to its request and its answer.

Revision ID: p0003_idempotency_keys
Revises: p0002_cart_orders
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0003_idempotency_keys"
down_revision: str | None = "p0002_cart_orders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "products"


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        # No foreign key: its KEY SHARE lock on orders would deadlock with the saga's lock order.
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "key", name="pk_idempotency_keys"),
        schema=SCHEMA,
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"], schema=SCHEMA)
    # idempotency_keys decides now; an expired key may name a second order.
    op.drop_constraint("uq_orders_user_id_idempotency_key", "orders", schema=SCHEMA)


def downgrade() -> None:
    op.create_unique_constraint(
        "uq_orders_user_id_idempotency_key", "orders", ["user_id", "idempotency_key"], schema=SCHEMA
    )
    op.drop_table("idempotency_keys", schema=SCHEMA)
