"""one_time_codes keep the previously sent code valid until it expires (a resend voids nothing)

Revision ID: 0004_auth_previous_code
Revises: 0003_auth_normalized_email
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0004_auth_previous_code"
down_revision: str | None = "0003_auth_normalized_email"
branch_labels = None
depends_on = None

SCHEMA = "auth"


def upgrade() -> None:
    op.add_column("one_time_codes", sa.Column("previous_code_hash", sa.String(128), nullable=True), schema=SCHEMA)
    op.add_column(
        "one_time_codes", sa.Column("previous_expires_at", sa.DateTime(timezone=True), nullable=True), schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_column("one_time_codes", "previous_expires_at", schema=SCHEMA)
    op.drop_column("one_time_codes", "previous_code_hash", schema=SCHEMA)
