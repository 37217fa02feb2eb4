"""Tables of the auth service, all in the `auth` schema."""

from microshop.common.db import schema_base

Base = schema_base("auth")
