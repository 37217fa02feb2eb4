"""Create addresses: a user's delivery addresses, one default per user.

Revision ID: p0006_addresses
Revises: p0005_order_lifecycle
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0006_addresses"
down_revision: str | None = "p0005_order_lifecycle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "products"


def upgrade() -> None:
    op.create_table(
        "addresses",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(30), nullable=False),
        sa.Column("line1", sa.String(200), nullable=False),
        sa.Column("line2", sa.String(200), nullable=True),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("region", sa.String(100), nullable=True),
        sa.Column("postal_code", sa.String(20), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_addresses"),
        schema=SCHEMA,
    )
    op.create_index("ix_addresses_user_id", "addresses", ["user_id"], schema=SCHEMA)
    op.create_index(
        "uq_addresses_user_id_default",
        "addresses",
        ["user_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("is_default"),
    )


def downgrade() -> None:
    op.drop_table("addresses", schema=SCHEMA)
