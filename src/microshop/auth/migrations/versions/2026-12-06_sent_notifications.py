"""sent_notifications: the order emails sent, one per event (docs/events.md#order-emails)

Revision ID: 0005_auth_sent_notifications
Revises: 0004_auth_previous_code
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0005_auth_sent_notifications"
down_revision: str | None = "0004_auth_previous_code"
branch_labels = None
depends_on = None

SCHEMA = "auth"


def upgrade() -> None:
    op.create_table(
        "sent_notifications",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name="pk_sent_notifications"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("sent_notifications", schema=SCHEMA)
