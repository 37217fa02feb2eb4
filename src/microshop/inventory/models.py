"""Tables of the inventory service, all in the `inventory` schema."""

from microshop.common.db import schema_base

Base = schema_base("inventory")
