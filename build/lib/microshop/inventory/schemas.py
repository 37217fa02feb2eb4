"""Field types every inventory schema shares."""

from typing import Annotated

from pydantic import Field

from microshop.common.ids import MAX_ID

# Strict: `true`, `1.5` or `"7"` are not product ids or quantities.
ProductId = Annotated[int, Field(strict=True, ge=1, le=MAX_ID, description="The product's id (Products)")]
StockLevel = Annotated[int, Field(strict=True, ge=0, le=1_000_000_000, description="Units in stock")]
EntryQuantity = Annotated[int, Field(strict=True, ge=1, le=1_000_000_000, description="Units moved")]
ReservedQuantity = Annotated[int, Field(strict=True, ge=1, le=1_000_000, description="Units reserved")]
