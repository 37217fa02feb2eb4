"""The declarative base of the products service: every table in the `products` schema."""

from microshop.common.db import schema_base

Base = schema_base("products")
