"""The declarative base of the auth service: every table in the `auth` schema."""

from sqlalchemy.orm import DeclarativeBase

from microshop.common.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("auth")
