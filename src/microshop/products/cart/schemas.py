"""Wire shapes of the cart (docs/architecture.md#wire-shapes)."""

from pydantic import BaseModel, Field

from microshop.common.ids import MAX_ID
from microshop.common.schemas import CurrencyCode, Money
from microshop.products.cart.models import MAX_QUANTITY

Quantity = Field(ge=1, le=MAX_QUANTITY, description=f"1 to {MAX_QUANTITY} units")


class CartItemCreate(BaseModel):
    product_id: int = Field(ge=1, le=MAX_ID)
    quantity: int = Quantity


class CartItemUpdate(BaseModel):
    quantity: int = Quantity


class CartItemRead(BaseModel):
    id: int
    product_id: int
    name: str
    unit_price: Money
    quantity: int
    line_total: Money
    stock: int = Field(description="Units at Inventory, as Products last heard (docs/events.md#stock-read-model)")
    available: bool = Field(description="Not archived, and enough stock for the quantity")


class CartRead(BaseModel):
    id: int | None = Field(description="The active cart's id; null before the first item is added")
    items: list[CartItemRead]
    total: Money
    currency: CurrencyCode
