"""Tables of the products service, all in the `products` schema."""

from microshop.common.db import schema_base

Base = schema_base("products")
