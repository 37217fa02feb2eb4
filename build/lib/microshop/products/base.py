"""The declarative base of the products service: every table in the `products` schema."""

from sqlalchemy.orm import DeclarativeBase

from microshop.common.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("products")
