"""users.email_normalized: the address as normalized in Python (NFKC, case folded), unique

Existing rows are normalized here. Two accounts whose addresses normalize alike (they differed
only by case or by a Unicode compatibility form) cannot both keep theirs: the migration then stops
with an error naming the account ids, changes nothing, and an operator merges or renames one.

Revision ID: 0003_auth_normalized_email
Revises: 0001_auth
Create Date: 2026-12-02
"""

import unicodedata
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision: str = "0003_auth_normalized_email"
down_revision: str | None = "0002_auth_refresh_families"
branch_labels = None
depends_on = None

SCHEMA = "auth"


def _normalize(email: str) -> str:
    # A copy of microshop.auth.validation.email_key as of this revision: a migration must not change later.
    return unicodedata.normalize("NFKC", email).strip().casefold()


def upgrade() -> None:
    op.add_column("users", sa.Column("email_normalized", sa.Text(), nullable=True), schema=SCHEMA)
    connection = op.get_bind()
    users = connection.execute(sa.text(f"SELECT id, email FROM {SCHEMA}.users"))  # noqa: S608 (a constant).all()
    owners: dict[str, list[int]] = defaultdict(list)
    for user_id, email in users:
        owners[_normalize(email)].append(user_id)
    clashes = {email: ids for email, ids in owners.items() if len(ids) > 1}
    if clashes:
        listed = "; ".join(f"users {ids}" for ids in clashes.values())
        raise RuntimeError(f"accounts whose emails normalize to the same address, resolve by hand first: {listed}")
    update = sa.text(f"UPDATE {SCHEMA}.users SET email_normalized = :normalized WHERE id = :id")  # noqa: S608
    for normalized, (user_id,) in owners.items():
        connection.execute(update, {"normalized": normalized, "id": user_id})
    op.alter_column("users", "email_normalized", nullable=False, schema=SCHEMA)
    op.drop_index("uq_users_email_lower", table_name="users", schema=SCHEMA)
    op.create_index("uq_users_email_normalized", "users", ["email_normalized"], unique=True, schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("uq_users_email_normalized", table_name="users", schema=SCHEMA)
    op.create_index("uq_users_email_lower", "users", [sa.text("lower(email)")], unique=True, schema=SCHEMA)
    op.drop_column("users", "email_normalized", schema=SCHEMA)
