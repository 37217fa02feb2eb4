"""The PostgreSQL server the tests run on (asyncpg_dsn, the one URL-to-DSN helper, is production's)."""

import uuid
from dataclasses import dataclass

import asyncpg
from sqlalchemy.engine import make_url

from microshop.common.db import async_url, asyncpg_dsn

__all__ = ["TestPostgres", "asyncpg_dsn", "unique_name"]


def unique_name(prefix: str) -> str:
    """A database name no other test uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@dataclass
class TestPostgres:
    """A server the tests may create and drop databases on."""

    __test__ = False  # not a test class, despite the name
    admin_url: str  # postgresql://... with CREATEDB rights

    def url_for(self, database: str) -> str:
        """An asyncpg SQLAlchemy URL for one database on this server."""
        return async_url(make_url(self.admin_url).set(database=database).render_as_string(hide_password=False))

    async def execute(self, sql: str) -> None:
        connection = await asyncpg.connect(self.admin_url, timeout=10)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    async def create_database(self, name: str, *, template: str | None = None) -> str:
        suffix = f' TEMPLATE "{template}"' if template else ""
        await self.execute(f'CREATE DATABASE "{name}"{suffix}')
        return self.url_for(name)

    async def drop_database(self, name: str) -> None:
        await self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
