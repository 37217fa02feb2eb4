"""Tables of the products service, all in the `products` schema."""

# Every model module, so Alembic and the mappers see all tables.
from microshop.products import events  # noqa: F401 - the outbox table
from microshop.products.addresses import models as addresses_models  # noqa: F401
from microshop.products.base import Base
from microshop.products.cart import models as cart_models  # noqa: F401
from microshop.products.catalog import models as catalog_models  # noqa: F401
from microshop.products.orders import models as orders_models  # noqa: F401
from microshop.products.payments import models as payments_models  # noqa: F401
from microshop.products.shipping import models as shipping_models  # noqa: F401
from microshop.products.stock import models as stock_models  # noqa: F401

__all__ = ["Base"]
