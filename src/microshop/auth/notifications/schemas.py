"""The `orders.order.*` events' data (data_version 1), as Products publishes it (docs/events.md#orders)."""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

# The order events that send an email; any other `orders.order.*` type (rejected) is acked without one.
KINDS = ("placed", "paid", "shipped", "delivered", "cancelled")


class OrderLine(BaseModel):
    product_id: int
    name: str
    quantity: int = Field(ge=1)
    unit_price: Decimal
    line_total: Decimal


class ShippingChoice(BaseModel):
    method_id: int
    name: str
    price: Decimal
    pickup: bool


class DeliveryAddress(BaseModel):
    name: str
    phone: str | None = None
    line1: str
    line2: str | None = None
    city: str
    region: str | None = None
    postal_code: str
    country: str = Field(pattern=r"^[A-Z]{2}$")


class PaymentChoice(BaseModel):
    method: str  # bank_transfer | cash_on_delivery | cash_on_pickup (a later provider may add others)
    name: str
    instructions: str | None = None


class OrderData(BaseModel):
    """What an order event says about the order, as it is after the change."""

    order_id: int
    user_id: int
    status: str
    payment_status: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    lines: list[OrderLine]
    subtotal: Decimal
    shipping_total: Decimal
    total: Decimal
    shipping: ShippingChoice
    address: DeliveryAddress | None
    payment: PaymentChoice
    carrier: str | None = None
    tracking_number: str | None = None
    note: str | None = None
    actor: Literal["customer", "admin", "system"]
    placed_at: datetime | None = None
    occurred_at: datetime
