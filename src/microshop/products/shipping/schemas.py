"""Wire shapes of shipping methods."""

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from microshop.common.schemas import CurrencyCode, Money, refuse_nulls, storable_text

MethodName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(storable_text)
]
Price = Annotated[Decimal, Field(ge=0, le=Decimal("99999999.99"), decimal_places=2)]


class ShippingMethodCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: MethodName
    price: Price
    free_above: Price | None = Field(None, description="Subtotal from which shipping is free")
    pickup: bool = Field(False, description="Collected in store: no address needed")
    active: bool = True
    is_default: bool = Field(False, description="The method of a checkout without a body (an active pickup method)")


class ShippingMethodUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: MethodName | None = None
    price: Price | None = None
    free_above: Price | None = None
    pickup: bool | None = None
    active: bool | None = None
    is_default: bool | None = Field(None, description="true moves the default here; false is refused (pick another)")

    @model_validator(mode="after")
    def _only_free_above_is_nullable(self) -> "ShippingMethodUpdate":
        refuse_nulls(self, nullable=("free_above",))
        return self


class ShippingMethodRead(BaseModel):
    id: int
    name: str
    price: Money
    free_above: Money | None
    currency: CurrencyCode
    pickup: bool
    active: bool
    is_default: bool


class ShippingMethodsQuery(BaseModel):
    include_inactive: bool = Field(False, description="Admins only: inactive methods too")
