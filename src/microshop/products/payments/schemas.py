"""Wire shapes of payment methods."""

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from microshop.common.schemas import storable_text

Instructions = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(storable_text)]


class PaymentMethodRead(BaseModel):
    code: str = Field(examples=["bank_transfer"])
    name: str
    enabled: bool
    instructions: str | None = Field(description="Shown on the order page and in the order's emails")
    fits: list[Literal["pickup", "delivery"]] = Field(description="The shipping kinds it can pay for")


class PaymentMethodUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    instructions: Instructions | None = None


class PaymentMethodsQuery(BaseModel):
    include_disabled: bool = Field(False, description="Admins only: disabled methods too")
