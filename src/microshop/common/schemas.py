"""Wire shapes every service shares: money, storable text, the error envelope (pages: `common/pagination.py`)."""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, PlainSerializer

# Money leaves every service as a decimal string with two places ("1500.00").
Money = Annotated[
    Decimal,
    PlainSerializer(lambda value: f"{value.quantize(Decimal('0.01'))}", return_type=str, when_used="json"),
]

# The ISO 4217 code of the amounts beside it: the shop's SHOP_CURRENCY (docs/architecture.md#wire-shapes).
CurrencyCode = Annotated[str, Field(description="ISO 4217 code of the amounts beside it", examples=["EUR"])]


def storable_text(value: str) -> str:
    """Text PostgreSQL can store: valid Unicode, no NUL characters (else a 422, never a 500)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorEnvelope(BaseModel):
    error: ErrorBody


def refuse_nulls(model: BaseModel, *, nullable: tuple[str, ...] = ()) -> None:
    """For a partial update: a field sent as null must be one that may be null (else a 422)."""
    nulled = [name for name in model.model_fields_set if getattr(model, name) is None and name not in nullable]
    if nulled:
        raise ValueError(f"{', '.join(sorted(nulled))} cannot be null")
