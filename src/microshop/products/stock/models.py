"""Products' read model of Inventory's stock, fed by `inventory.stock.changed` (docs/events.md)."""

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.orm import Mapped, mapped_column

from microshop.products.base import Base


class StockLevel(Base):
    """The newest stock Products has seen for a product; Inventory alone decides, this only shows it."""

    __tablename__ = "stock_levels"

    product_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    stock: Mapped[int] = mapped_column(Integer)
    # Inventory's per-product version: only a newer one is applied, so order and duplicates do not matter.
    version: Mapped[int] = mapped_column(BigInteger)
    # When Products last stored a newer figure for it (from an event, an answer of Inventory or a snapshot).
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
