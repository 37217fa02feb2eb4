"""Tables of the inventory service, all in the `inventory` schema."""

# Every module declaring a table, so Alembic (and anyone importing this) sees every table.
from microshop.inventory import events  # noqa: F401  (the outbox)
from microshop.inventory.base import Base
from microshop.inventory.reservations import models as reservations_models  # noqa: F401
from microshop.inventory.stock import models as stock_models  # noqa: F401

__all__ = ["Base"]
