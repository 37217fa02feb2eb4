"""Shipping methods an admin offers: a price, an optional free-above threshold, pickup or delivery."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, Index, Numeric, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from microshop.products.base import Base


class ShippingMethod(Base):
    __tablename__ = "shipping_methods"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price"),
        CheckConstraint("free_above IS NULL OR free_above >= 0", name="free_above"),
        # The one method a body-less checkout uses (a pickup method, active): docs/architecture.md#the-order-lifecycle.
        Index("uq_shipping_methods_default", "is_default", unique=True, postgresql_where=text("is_default")),
        CheckConstraint("NOT is_default OR (pickup AND active)", name="default_is_active_pickup"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    free_above: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    pickup: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    is_default: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    def price_for(self, subtotal: Decimal) -> Decimal:
        """What the method costs for an order of `subtotal`: nothing from its free-above threshold up."""
        if self.free_above is not None and subtotal >= self.free_above:
            return Decimal("0.00")
        return self.price
