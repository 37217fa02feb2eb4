"""Alembic environment for the products service: its own schema and version table."""

from microshop.common.migrations import run_env
from microshop.products.models import Base

run_env(Base.metadata)
