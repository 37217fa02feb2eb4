"""The declarative base of the auth service: every table in the `auth` schema."""

from microshop.common.db import schema_base

Base = schema_base("auth")
