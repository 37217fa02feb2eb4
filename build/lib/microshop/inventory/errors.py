"""The inventory domain's errors."""

from collections.abc import Sequence
from typing import Any

from microshop.common.errors import Conflict, NotFound


class InsufficientStock(Conflict):
    code = "insufficient_stock"

    def __init__(self, short: Sequence[dict[str, int]], *, reference: str | None = None) -> None:
        details: dict[str, Any] = {"short": list(short)}
        if reference is not None:
            details = {"reference": reference, **details}
        super().__init__("Not enough stock", details=details)


class ReferenceConflict(Conflict):
    code = "reference_conflict"


class ReservationReleased(Conflict):
    code = "reservation_released"


class StockNotFound(NotFound):
    def __init__(self, product_id: int) -> None:
        super().__init__(f"No inventory for product {product_id}")


class ReservationNotFound(NotFound):
    def __init__(self, reference: str) -> None:
        super().__init__(f"No reservation with reference {reference}")
