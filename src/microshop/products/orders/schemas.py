"""Wire shapes of orders, of checkout (its choices, quote and answer) and of the admin's actions.

docs/architecture.md#wire-shapes and #the-order-lifecycle.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from microshop.common.ids import MAX_ID
from microshop.common.pagination import PageParams
from microshop.common.schemas import CurrencyCode, Money, storable_text
from microshop.products.addresses.schemas import AddressFields

OrderStatus = Literal["pending", "placed", "shipped", "delivered", "rejected", "cancelled"]
PaymentStatus = Literal["unpaid", "paid", "refunded"]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000), AfterValidator(storable_text)]
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(storable_text)
]


class CheckoutRequest(BaseModel):
    """The buyer's choices; every field may be left out: pickup in store, paid on pickup."""

    model_config = ConfigDict(extra="forbid")

    address_id: int | None = Field(None, ge=1, le=MAX_ID, description="One of your saved addresses")
    address: AddressFields | None = Field(None, description="Or an address typed at checkout (not saved)")
    shipping_method_id: int | None = Field(None, ge=1, le=MAX_ID, description="Default: the shop's pickup method")
    payment_method: str | None = Field(
        None,
        max_length=30,
        description="A payment method's code; default: cash_on_pickup for pickup, cash_on_delivery otherwise",
    )

    @model_validator(mode="after")
    def _one_address(self) -> "CheckoutRequest":
        if self.address_id is not None and self.address is not None:
            raise ValueError("send address_id or address, not both")
        return self


class ShippingRead(BaseModel):
    method_id: int | None
    name: str | None
    price: Money = Field(description="What was charged (0 from the method's free-above threshold up)")
    pickup: bool


class PaymentRead(BaseModel):
    method: str | None = Field(examples=["bank_transfer"])
    name: str | None
    instructions: str | None
    status: PaymentStatus


class QuoteRead(BaseModel):
    subtotal: Money
    shipping_total: Money
    total: Money
    currency: CurrencyCode
    shipping: ShippingRead
    payment: PaymentRead


class CheckoutRead(BaseModel):
    message: str = Field(examples=["Compra exitosa"])
    order_id: int
    total: Money
    currency: CurrencyCode


class OrderItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: int
    name: str
    unit_price: Money
    quantity: int
    line_total: Money


class OrderEventRead(BaseModel):
    """One step of the order's history (its timeline), oldest first."""

    model_config = ConfigDict(from_attributes=True)

    kind: Literal["status", "payment"]
    from_state: str | None
    to_state: str
    actor: Literal["customer", "admin", "system"]
    actor_id: int | None
    note: str | None
    created_at: datetime


class OrderRead(BaseModel):
    id: int
    user_id: int
    status: OrderStatus
    payment_status: PaymentStatus
    currency: CurrencyCode
    subtotal: Money
    shipping_total: Money
    total: Money
    created_at: datetime
    placed_at: datetime | None
    items: list[OrderItemRead]
    address: AddressFields | None = Field(description="The address as it was at checkout (null: picked up)")
    shipping: ShippingRead
    payment: PaymentRead
    carrier: str | None
    tracking_number: str | None
    history: list[OrderEventRead]


class OrdersQuery(PageParams):
    all: bool = Field(False, description="Admins only: every user's orders (GET /api/admin/orders filters them)")


class OrderFilters(BaseModel):
    """The admin's filters of the order list and of its CSV export."""

    status: OrderStatus | None = None
    payment_status: PaymentStatus | None = None
    created_from: datetime | None = Field(None, description="Created at or after (ISO 8601)")
    created_to: datetime | None = Field(None, description="Created before (ISO 8601)")
    user_id: int | None = Field(None, ge=1, le=MAX_ID)


class AdminOrdersQuery(OrderFilters, PageParams):
    pass


class NoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note | None = None


class ShipBody(NoteBody):
    carrier: Label
    tracking_number: Label
