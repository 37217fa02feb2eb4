from collections.abc import AsyncIterator, Iterator

import pytest

from microshop.common.testing import TestPostgres, TokenFactory
from tests.system import System, start_system


@pytest.fixture(scope="session")
async def system_database(test_postgres: TestPostgres, template_database: str) -> AsyncIterator[tuple[str, str]]:
    """The database the shared running system uses (its own copy of the template)."""
    name = "microshop_system"
    await test_postgres.drop_database(name)
    url = await test_postgres.create_database(name, template=template_database)
    yield url, test_postgres.dsn_for(name)
    await test_postgres.drop_database(name)


@pytest.fixture(scope="session")
def system(
    system_database: tuple[str, str], tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    """auth, inventory and products as real processes, shared by every cross-process test."""
    url, dsn = system_database
    yield from start_system(
        database_url=url, database_dsn=dsn, tokens=tokens, work_dir=tmp_path_factory.mktemp("system")
    )
