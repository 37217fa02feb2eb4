"""Alembic environment for the auth service: its own schema and version table."""

from microshop.auth.models import Base
from microshop.common.migrations import run_env

run_env(Base.metadata)
