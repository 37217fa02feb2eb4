"""Tables of the inventory service, all in the `inventory` schema."""

from microshop.common.db import schema_base

Base = schema_base("inventory")

# Every model module, so Alembic (and anyone importing this) sees every table.
from microshop.inventory.reservations import models as reservations_models  # noqa: E402, F401
from microshop.inventory.stock import models as stock_models  # noqa: E402, F401
