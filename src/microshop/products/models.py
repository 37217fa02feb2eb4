"""Tables of the products service, all in the `products` schema."""

from microshop.products.base import Base

# Every model module, so Alembic and the mappers see all tables.
from microshop.products.cart import models as cart_models  # noqa: F401
from microshop.products.catalog import models as catalog_models  # noqa: F401
from microshop.products.orders import models as orders_models  # noqa: F401
from microshop.products.stock import models as stock_models  # noqa: F401

__all__ = ["Base"]
