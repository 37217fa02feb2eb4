"""Create payment_methods: the offline methods' settings (offered or not, instructions), all offered.

Revision ID: p0008_payment_methods
Revises: p0007_shipping_methods
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0008_payment_methods"
down_revision: str | None = "p0007_shipping_methods"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "products"


def upgrade() -> None:
    op.create_table(
        "payment_methods",
        sa.Column("code", sa.String(30), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_payment_methods"),
        schema=SCHEMA,
    )
    op.execute(
        "INSERT INTO products.payment_methods (code) VALUES ('cash_on_pickup'), ('cash_on_delivery'), ('bank_transfer')"
    )


def downgrade() -> None:
    op.drop_table("payment_methods", schema=SCHEMA)
