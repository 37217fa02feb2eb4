"""The declarative base of the inventory service: every table in the `inventory` schema."""

from microshop.common.db import schema_base

Base = schema_base("inventory")
