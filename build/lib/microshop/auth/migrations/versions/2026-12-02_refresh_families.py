"""Refresh-token families: one row per login session, locked by every refresh, logout and reset.

Revision ID: 0002_auth_refresh_families
Revises: 0001_auth
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_auth_refresh_families"
down_revision: str | None = "0001_auth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "auth"


def upgrade() -> None:
    op.create_table(
        "refresh_families",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(20), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_refresh_families"),
        sa.ForeignKeyConstraint(
            ["user_id"], [f"{SCHEMA}.users.id"], name="fk_refresh_families_user_id_users", ondelete="CASCADE"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_refresh_families_user_id", "refresh_families", ["user_id"], schema=SCHEMA)
    # Existing sessions: a family is revoked when all its tokens are.
    op.execute(
        """
        INSERT INTO auth.refresh_families (id, user_id, created_at, revoked_at, revoked_reason)
        SELECT family_id, min(user_id), min(created_at),
               CASE WHEN bool_and(revoked_at IS NOT NULL) THEN max(revoked_at) END,
               CASE WHEN bool_and(revoked_at IS NOT NULL) THEN 'migrated' END
        FROM auth.refresh_tokens GROUP BY family_id
        """
    )
    op.create_foreign_key(
        "fk_refresh_tokens_family_id_refresh_families",
        "refresh_tokens",
        "refresh_families",
        ["family_id"],
        ["id"],
        source_schema=SCHEMA,
        referent_schema=SCHEMA,
        ondelete="CASCADE",
    )


def downgrade() -> None:
    op.drop_constraint(
        "fk_refresh_tokens_family_id_refresh_families", "refresh_tokens", schema=SCHEMA, type_="foreignkey"
    )
    op.drop_index("ix_refresh_families_user_id", table_name="refresh_families", schema=SCHEMA)
    op.drop_table("refresh_families", schema=SCHEMA)
