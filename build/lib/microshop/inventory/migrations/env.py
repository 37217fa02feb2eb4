"""Alembic environment for the inventory service: its own schema and version table."""

from microshop.common.migrations import run_env
from microshop.inventory.models import Base

run_env(Base.metadata)
