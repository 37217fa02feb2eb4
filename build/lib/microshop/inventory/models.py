"""Tables of the inventory service, all in the `inventory` schema."""

from microshop.inventory.base import Base

# Every model module, so Alembic (and anyone importing this) sees every table.
from microshop.inventory.reservations import models as reservations_models  # noqa: F401
from microshop.inventory.stock import models as stock_models  # noqa: F401

__all__ = ["Base"]
