"""Tables of the products service, all in the `products` schema."""

from microshop.common.db import schema_base

Base = schema_base("products")

# Every model module, so Alembic and the mappers see all tables.
from microshop.products.catalog import models as catalog_models  # noqa: E402, F401
