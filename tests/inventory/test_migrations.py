"""The inventory migrations create exactly the tables the models describe."""

import asyncio

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from microshop.common.migrations import alembic_config, upgrade
from microshop.inventory.models import Base
from tests.inventory.support import fetch
from tests.support.postgres import TestPostgres, unique_name


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "include_schemas": True,
            "include_name": lambda name, kind, _: kind != "schema" or name == "inventory",
        },
    )
    return [entry for entry in compare_metadata(context, Base.metadata) if "alembic_version" not in str(entry)]


async def test_models_and_migration_agree(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
    finally:
        await engine.dispose()


async def test_the_outbox_is_exactly_the_event_library_s(database_url: str) -> None:
    """What compare_metadata does not look at: the identity, the unique id and the partial index's predicate."""
    rows = await fetch(
        database_url,
        """
        SELECT
          (SELECT is_identity FROM information_schema.columns
           WHERE table_schema = 'inventory' AND table_name = 'outbox' AND column_name = 'seq') AS identity,
          (SELECT array_agg(indexdef ORDER BY indexname) FROM pg_indexes
           WHERE schemaname = 'inventory' AND tablename = 'outbox') AS indexes
        """,
    )
    assert rows[0]["identity"] == "YES"
    assert rows[0]["indexes"] == [
        "CREATE INDEX ix_outbox_unsent ON inventory.outbox USING btree (seq) WHERE (sent_at IS NULL)",
        "CREATE UNIQUE INDEX pk_outbox ON inventory.outbox USING btree (seq)",
        "CREATE UNIQUE INDEX uq_outbox_id ON inventory.outbox USING btree (id)",
    ]


async def test_rows_that_exist_before_the_versions_start_at_1(test_postgres: TestPostgres) -> None:
    name = unique_name("microshop_inventory_versions")
    url = await test_postgres.create_database(name)
    try:
        await asyncio.to_thread(upgrade, "inventory", url, "0001_inventory")
        await fetch(url, "INSERT INTO inventory.inventory (product_id, stock) VALUES (1, 5), (2, 0)")
        await asyncio.to_thread(upgrade, "inventory", url)
        rows = await fetch(url, "SELECT product_id, stock, version FROM inventory.inventory ORDER BY product_id")
        assert [tuple(row) for row in rows] == [(1, 5, 1), (2, 0, 1)]
        await asyncio.to_thread(command.downgrade, alembic_config("inventory", url), "0001_inventory")
        assert await fetch(url, "SELECT to_regclass('inventory.outbox') AS outbox") == [(None,)]
    finally:
        await test_postgres.drop_database(name)
