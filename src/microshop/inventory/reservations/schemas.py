"""Wire shapes of reservations (docs/architecture.md#wire-shapes)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from microshop.inventory.schemas import ProductId, ReservedQuantity
from microshop.inventory.stock.schemas import ShortItem

REFERENCE_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
Reference = Annotated[
    str, Field(min_length=1, max_length=64, pattern=REFERENCE_PATTERN, description="The caller's idempotency key")
]


class ReservationItem(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    product_id: ProductId
    quantity: ReservedQuantity


class ReservationCreate(BaseModel):
    """All items are taken together or none is; the same reference always gets the same outcome."""

    model_config = ConfigDict(extra="forbid")

    reference: Reference
    items: list[ReservationItem] = Field(min_length=1, max_length=100)

    @field_validator("items")
    @classmethod
    def _one_line_per_product(cls, items: list[ReservationItem]) -> list[ReservationItem]:
        seen: set[int] = set()
        for item in items:
            if item.product_id in seen:
                raise ValueError(f"product {item.product_id} appears more than once; send one line per product")
            seen.add(item.product_id)
        return items


class ReleaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Literal["compensation", "cancel"] = "compensation"


class StockLevelAfter(BaseModel):
    product_id: int
    stock: int
    version: int


class ReservationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    reference: str
    status: Literal["committed", "rejected", "released"]
    items: list[ReservationItem]
    short: list[ShortItem] | None = None
    # A committed reservation: its products' stock and versions as of this answer, so the caller can
    # show its own purchase at once (everyone else hears it from inventory.stock.changed).
    levels: list[StockLevelAfter] | None = None
    created_at: datetime
    updated_at: datetime
