"""Stock per product and the ledger of every change to it."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Identity, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from microshop.inventory.base import Base


class InventoryItem(Base):
    """The stock of one product; Inventory is the single source of truth for it."""

    __tablename__ = "inventory"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        Index("ix_inventory_inventory_stock", "stock"),
    )

    product_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    stock: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    # +1 in the very statement that changes `stock` (a new row starts at 1), so readers of the
    # inventory.stock.changed events can tell a newer stock from an older one.
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("1"))


class Movement(Base):
    """One change of stock: invariant `inventory.stock == sum(movements.delta)` per product."""

    __tablename__ = "movements"
    __table_args__ = (
        CheckConstraint("delta <> 0", name="delta_not_zero"),
        Index("ix_movements_product_id_id", "product_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    product_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    delta: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reason: Mapped[str] = mapped_column(String(200), nullable=False)
    reference: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
