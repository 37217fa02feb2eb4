"""The declarative base of the inventory service: every table in the `inventory` schema."""

from sqlalchemy.orm import DeclarativeBase

from microshop.common.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("inventory")
