"""Wire shapes of stock and the movement ledger (docs/architecture.md#wire-shapes)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag

from microshop.common.ids import MAX_ID
from microshop.common.pagination import MAX_PAGE_SIZE, PageParams
from microshop.common.schemas import storable_text
from microshop.inventory.schemas import EntryQuantity, ProductId, StockLevel

MAX_BATCH = 200  # product ids one stock lookup answers


class InventoryQuery(PageParams):
    """`GET /api/inventory`'s paging and filter (`product_ids` is parsed apart: a comma-separated list)."""

    low_stock: int | None = Field(None, ge=0, le=MAX_ID, description="Only stock <= N")


class MovementsQuery(PageParams):
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


class InventoryItemRead(BaseModel):
    """A stock write's answer."""

    model_config = ConfigDict(from_attributes=True)

    product_id: int
    stock: int
    updated_at: datetime


class VersionedItemRead(InventoryItemRead):
    """A stock read: a snapshot a reader of the inventory.stock.changed events can start from."""

    version: int = Field(
        description="Goes up by one with every change of this product's stock; the event of the change carries it"
    )


class StockUpdate(BaseModel):
    """`PUT /api/inventory/{product_id}`: the new absolute stock."""

    model_config = ConfigDict(extra="forbid")

    stock: StockLevel


class StockSet(StockUpdate):
    """The specification's stock write: set a product's absolute stock, creating its row if needed (the UPSERT)."""

    product_id: ProductId


class StockEntry(BaseModel):
    """A stock movement the specification names: an entry (`in`) or exit (`out`) of units."""

    model_config = ConfigDict(extra="forbid")

    product_id: ProductId
    type: Literal["in", "out"]
    quantity: EntryQuantity
    reason: Annotated[str, AfterValidator(storable_text)] | None = Field(
        None, min_length=1, max_length=200, description="Recorded in the ledger"
    )


def _stock_write_kind(body: Any) -> str:
    if isinstance(body, dict):
        return "entry" if "type" in body else "set"
    return "entry" if hasattr(body, "type") else "set"


StockWrite = Annotated[
    Annotated[StockSet, Tag("set")] | Annotated[StockEntry, Tag("entry")],
    Discriminator(_stock_write_kind),
]


class MovementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    product_id: int
    delta: int
    reason: str
    reference: str | None
    actor: str
    created_at: datetime


class ShortItem(BaseModel):
    product_id: int
    requested: int
    available: int
