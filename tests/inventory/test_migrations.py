"""The inventory migration creates exactly the tables the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from microshop.inventory.models import Base


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
