"""Wire shapes every service shares: the error envelope and the page of results."""

from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

T = TypeVar("T")

# Money leaves every service as a decimal string with two places ("1500.00").
Money = Annotated[
    Decimal,
    PlainSerializer(lambda value: f"{value.quantize(Decimal('0.01'))}", return_type=str, when_used="json"),
]


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


class Page(BaseModel, Generic[T]):
    """One page of a listing."""

    model_config = ConfigDict(from_attributes=True)

    items: list[T]
    total: int
    page: int
    page_size: int


class PageParams(BaseModel):
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(20, ge=1, le=100)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size
