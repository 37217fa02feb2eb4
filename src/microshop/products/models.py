"""Tables of the products service, all in the `products` schema."""

from microshop.common.db import schema_base

Base = schema_base("products")

# Every model module, so Alembic and the mappers see all tables.
from microshop.products.cart import models as cart_models  # noqa: E402, F401
from microshop.products.catalog import models as catalog_models  # noqa: E402, F401
from microshop.products.orders import models as orders_models  # noqa: E402, F401
