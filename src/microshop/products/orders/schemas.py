"""Wire shapes of orders and of the checkout answer (docs/architecture.md#wire-shapes)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from microshop.common.pagination import PageParams
from microshop.common.schemas import Money

OrderStatus = Literal["pending", "completed", "rejected", "cancelled"]


class OrderItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: int
    name: str
    unit_price: Money
    quantity: int
    line_total: Money


class OrderRead(BaseModel):
    id: int
    user_id: int
    status: OrderStatus
    total: Money
    created_at: datetime
    items: list[OrderItemRead]


class OrdersQuery(PageParams):
    all: bool = Field(False, description="Admins only: every user's orders")


class CheckoutRead(BaseModel):
    message: str = Field(examples=["Compra exitosa"])
    order_id: int
    total: Money
