"""Create the catalog: products with JSONB features and a full-text search column.

Revision ID: p0001_catalog
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "p0001_catalog"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_EXPRESSION = "to_tsvector('simple'::regconfig, coalesce(name, '') || ' ' || coalesce(description, ''))"


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
        sa.Column("image_url", sa.String(500), nullable=True),
        sa.Column("features", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("search", postgresql.TSVECTOR(), sa.Computed(SEARCH_EXPRESSION, persisted=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_products"),
        sa.CheckConstraint("price >= 0", name="ck_products_price_non_negative"),
        sa.CheckConstraint("jsonb_typeof(features) = 'object'", name="ck_products_features_is_object"),
        schema="products",
    )
    op.create_index(
        "ix_products_features",
        "products",
        ["features"],
        schema="products",
        postgresql_using="gin",
        postgresql_ops={"features": "jsonb_path_ops"},
    )
    op.create_index("ix_products_search", "products", ["search"], schema="products", postgresql_using="gin")
    op.create_index(
        "ix_products_listed_created_at",
        "products",
        [sa.text("created_at DESC"), sa.text("id DESC")],
        schema="products",
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_index(
        "ix_products_listed_price",
        "products",
        ["price", "id"],
        schema="products",
        postgresql_where=sa.text("archived_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_products_listed_price", table_name="products", schema="products")
    op.drop_index("ix_products_listed_created_at", table_name="products", schema="products")
    op.drop_index("ix_products_search", table_name="products", schema="products")
    op.drop_index("ix_products_features", table_name="products", schema="products")
    op.drop_table("products", schema="products")
