"""The auth migration creates exactly what the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from microshop.auth.models import Base


async def test_models_and_migration_agree(database_url: str) -> None:
    def diff(connection: Connection, metadata: MetaData) -> list:
        context = MigrationContext.configure(
            connection, opts={"include_schemas": True, "include_name": _only_auth, "compare_type": True}
        )
        return compare_metadata(context, metadata)

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(diff, Base.metadata)
            # The comparison does see the auth tables: against no models, all six would go.
            removed = await connection.run_sync(diff, MetaData(schema="auth"))
    finally:
        await engine.dispose()
    assert differences == []
    assert {change[1].name for change in removed if change[0] == "remove_table"} == {
        "users",
        "one_time_codes",
        "refresh_tokens",
        "refresh_families",
        "rate_limit_counters",
        "sent_notifications",
    }


def _only_auth(name: str | None, type_: str, parent_names: dict) -> bool:
    if type_ == "schema":
        return name == "auth"
    return not (type_ == "table" and name == "alembic_version")
