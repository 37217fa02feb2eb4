"""Wire shapes of addresses; `AddressFields` is also the inline address a checkout may carry."""

from datetime import datetime
from typing import Annotated, Any

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from microshop.common.schemas import refuse_nulls, storable_text


def _country(value: str) -> str:
    code = value.upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, e.g. ES")
    return code


def _line(max_length: int) -> Any:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


Text20 = Annotated[str, _line(20), AfterValidator(storable_text)]
Text100 = Annotated[str, _line(100), AfterValidator(storable_text)]
Text200 = Annotated[str, _line(200), AfterValidator(storable_text)]
Country = Annotated[str, StringConstraints(min_length=2, max_length=2), AfterValidator(_country)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ().-]{4,30}$")]


class AddressFields(BaseModel):
    """A delivery address: who receives it, where, and a phone for the carrier."""

    model_config = ConfigDict(extra="forbid")

    name: Text100
    phone: Phone
    line1: Text200
    line2: Text200 | None = None
    city: Text100
    region: Text100 | None = None
    postal_code: Text20
    country: Country = Field(description="ISO 3166-1 alpha-2, e.g. ES")


class AddressCreate(AddressFields):
    is_default: bool = Field(False, description="Make it your default (the first address always is)")


class AddressUpdate(BaseModel):
    """Only the fields sent change; `line2` and `region` may be set to null, the others may not."""

    model_config = ConfigDict(extra="forbid")

    name: Text100 | None = None
    phone: Phone | None = None
    line1: Text200 | None = None
    line2: Text200 | None = None
    city: Text100 | None = None
    region: Text100 | None = None
    postal_code: Text20 | None = None
    country: Country | None = None
    is_default: bool | None = Field(None, description="true makes it the default; the old default stops being one")

    @model_validator(mode="after")
    def _required_fields_stay_set(self) -> "AddressUpdate":
        refuse_nulls(self, nullable=("line2", "region"))
        return self


class AddressRead(AddressFields):
    model_config = ConfigDict(from_attributes=True)

    id: int
    is_default: bool
    created_at: datetime
    updated_at: datetime
