"""Each service's migration history applies from empty, into its own schema, and is reversible."""

import asyncio
import uuid

import asyncpg
import pytest
from alembic import command
from alembic.script import ScriptDirectory

from microshop.common.migrations import SERVICES, alembic_config, upgrade
from tests.support.postgres import TestPostgres, asyncpg_dsn


@pytest.fixture
async def empty_database(test_postgres: TestPostgres):
    name = f"microshop_empty_{uuid.uuid4().hex[:8]}"
    url = await test_postgres.create_database(name)
    yield url, asyncpg_dsn(url)
    await test_postgres.drop_database(name)


async def test_every_history_applies_from_empty_into_its_own_schema(empty_database: tuple[str, str]) -> None:
    url, dsn = empty_database
    for service in SERVICES:
        await asyncio.to_thread(upgrade, service, url)
    connection = await asyncpg.connect(dsn)
    try:
        for service in SERVICES:
            head = ScriptDirectory.from_config(alembic_config(service, url)).get_current_head()
            version = await connection.fetchval(f'SELECT version_num FROM "{service}".alembic_version')  # noqa: S608
            assert version == head
        public_tables = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        assert public_tables == []
    finally:
        await connection.close()


async def test_histories_downgrade_to_empty_and_apply_again(empty_database: tuple[str, str]) -> None:
    url, dsn = empty_database
    for service in SERVICES:
        config = alembic_config(service, url)
        await asyncio.to_thread(command.upgrade, config, "head")
        await asyncio.to_thread(command.downgrade, config, "base")
        connection = await asyncpg.connect(dsn)
        try:
            tables = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'alembic_version'", service
            )
            assert tables == [], f"{service} downgrade left {tables}"
        finally:
            await connection.close()
        await asyncio.to_thread(command.upgrade, config, "head")
