"""Wire shapes of the catalog (docs/architecture.md#wire-shapes)."""

import json
import math
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from microshop.common.ids import MAX_ID
from microshop.common.pagination import PageParams
from microshop.common.schemas import CurrencyCode, Money, storable_text

MAX_STOCK = 1_000_000
MAX_PRICE = Decimal("99999999.99")
MAX_FEATURES = 50
MAX_FEATURE_KEY = 100
MAX_FEATURES_JSON = 16_384
MAX_FEATURE_DEPTH = 4
MAX_FEATURE_FILTERS = 20
MAX_FEATURE_VALUE = 200


def _check_feature_value(value: Any, depth: int) -> None:
    if depth > MAX_FEATURE_DEPTH:
        raise ValueError(f"features may nest at most {MAX_FEATURE_DEPTH} levels")
    if isinstance(value, str):
        storable_text(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError("feature numbers must be finite")
    elif isinstance(value, dict):
        for key, item in value.items():
            storable_text(key)
            _check_feature_value(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_feature_value(item, depth + 1)


def check_features(features: dict[str, Any]) -> dict[str, Any]:
    """A small JSON object PostgreSQL's jsonb accepts as is."""
    if len(features) > MAX_FEATURES:
        raise ValueError(f"at most {MAX_FEATURES} features")
    for key in features:
        if not 1 <= len(key) <= MAX_FEATURE_KEY:
            raise ValueError(f"feature names must have 1 to {MAX_FEATURE_KEY} characters")
    _check_feature_value(features, 1)
    if len(json.dumps(features)) > MAX_FEATURES_JSON:
        raise ValueError(f"features must serialize to at most {MAX_FEATURES_JSON} characters")
    return features


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), AfterValidator(storable_text)
]
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(storable_text)]
Description = Annotated[str, StringConstraints(max_length=5000), AfterValidator(storable_text)]
Price = Annotated[Decimal, Field(ge=0, le=MAX_PRICE, max_digits=10, decimal_places=2, examples=["1500.00"])]
Features = Annotated[
    dict[str, Any], AfterValidator(check_features), Field(examples=[{"brand": "ASUS", "gpu": "RTX 3060"}])
]
Stock = Annotated[int, Field(ge=0, le=MAX_STOCK, description="Sets the stock in Inventory")]
ProductId = Annotated[int, Field(ge=1, le=MAX_ID)]
SortKey = Literal["price", "-price", "name", "-created_at", "stock"]


class ProductCreate(BaseModel):
    name: Name
    description: Description | None = None
    price: Price
    features: Features = Field(default_factory=dict)
    stock: Stock | None = None


class ProductUpdate(BaseModel):
    """Only the fields sent change; `stock` sets the stock in Inventory."""

    name: Name | None = None
    description: Description | None = None
    price: Price | None = None
    features: Features | None = None
    stock: Stock | None = None

    @model_validator(mode="after")
    def _required_fields_are_not_null(self) -> "ProductUpdate":
        for field in ("name", "price"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be null")
        return self


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str | None
    price: Money
    currency: CurrencyCode
    image_url: str | None
    features: dict[str, Any]
    stock: int = Field(description="Units at Inventory, as Products last heard (docs/events.md#stock-read-model)")
    stock_updated_at: datetime | None = Field(
        description="When Products last stored a newer figure for it; null: never heard of, so 0"
    )
    created_at: datetime
    updated_at: datetime


class ProductQuery(PageParams):
    """Listing parameters; feature filters come as extra `feature.<key>=<value>` parameters."""

    q: SearchText | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    sort: SortKey = Field("-created_at", description="`stock`: the most units first, sold-out products last")
    in_stock: bool = Field(False, description="Only products with at least one unit")

    @model_validator(mode="after")
    def _price_range_is_ordered(self) -> "ProductQuery":
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError("min_price must not exceed max_price")
        return self


FEATURE_PREFIX = "feature."


def parse_feature_filters(params: list[tuple[str, str]]) -> dict[str, list[str]]:
    """`feature.<key>=<value>` query parameters → {key: [values]} (repeated keys mean "any of")."""
    filters: dict[str, list[str]] = {}
    for name, value in params:
        if not name.startswith(FEATURE_PREFIX):
            continue
        key = name[len(FEATURE_PREFIX) :]
        if not 1 <= len(key) <= MAX_FEATURE_KEY or len(value) > MAX_FEATURE_VALUE:
            raise ValueError(f"feature filters need a 1-{MAX_FEATURE_KEY} character name and a short value")
        storable_text(key)
        storable_text(value)
        filters.setdefault(key, []).append(value)
    if sum(len(values) for values in filters.values()) > MAX_FEATURE_FILTERS:
        raise ValueError(f"at most {MAX_FEATURE_FILTERS} feature filters")
    return filters
