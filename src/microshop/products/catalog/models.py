"""The catalog's table. Stock is not here: Inventory owns it; Products reads its copy (products/stock)."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Computed, DateTime, Index, Numeric, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from microshop.products.base import Base
from microshop.products.stock.models import StockLevel

# Full-text over name and description. 'simple' (no stemming): product names are mixed-language.
SEARCH_EXPRESSION = "to_tsvector('simple'::regconfig, coalesce(name, '') || ' ' || coalesce(description, ''))"
SEARCH_CONFIG = "simple"


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_non_negative"),
        CheckConstraint("jsonb_typeof(features) = 'object'", name="features_is_object"),
        Index(
            "ix_products_features", "features", postgresql_using="gin", postgresql_ops={"features": "jsonb_path_ops"}
        ),
        Index("ix_products_search", "search", postgresql_using="gin"),
        Index(
            "ix_products_listed_created_at",
            text("created_at DESC"),
            text("id DESC"),
            postgresql_where=text("archived_at IS NULL"),
        ),
        Index("ix_products_listed_price", "price", "id", postgresql_where=text("archived_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    image_url: Mapped[str | None] = mapped_column(String(500))
    features: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    search: Mapped[Any] = mapped_column(
        TSVECTOR, Computed(SEARCH_EXPRESSION, persisted=True), nullable=True, deferred=True
    )
    # The read model's row for this product (none yet: stock 0); loaded in the same query when asked.
    stock_level: Mapped[StockLevel | None] = relationship(
        primaryjoin="Product.id == foreign(StockLevel.product_id)", viewonly=True, lazy="raise", uselist=False
    )
