"""The inventory domain's errors."""

from microshop.common.errors import Conflict, NotFound


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
