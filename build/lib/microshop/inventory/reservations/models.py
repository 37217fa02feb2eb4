"""The outcome of every reservation reference, kept so a repeat gets the same answer."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Identity, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from microshop.inventory.base import Base

STATUSES = ("committed", "rejected", "released")


class Reservation(Base):
    """One reference: `committed` (units taken), `rejected` (short, nothing taken) or `released`."""

    __tablename__ = "reservations"
    __table_args__ = (CheckConstraint(f"status IN {STATUSES}", name="status_known"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    # [{product_id, quantity}] sorted by product_id; [] for a tombstone (released before it was seen).
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    short: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    release_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
