"""Fixtures every test may use: PostgreSQL databases, the NATS broker, test tokens, the whole system as real processes.

Tests run on real PostgreSQL: the embedded server (or the one in `TEST_DATABASE_URL`), every
service migrated once into a template database, and a fresh copy of it for each test module.
They run on a real NATS JetStream too: a throwaway embedded server (or the one in `TEST_NATS_URL`),
whose URL is every service's `NATS_URL` in the session, so no test reaches `make run`'s broker.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from microshop.common.migrations import SERVICES, upgrade
from microshop.devtools.embedded_db import EmbeddedPostgres, free_port
from tests.support.broker import TestBroker, throwaway_server
from tests.support.postgres import TestPostgres, asyncpg_dsn, unique_name
from tests.support.system import System, start_system
from tests.support.tokens import TokenFactory

# tests/containers needs a Docker engine and minutes: only `make test-containers` runs it.
collect_ignore = [] if os.environ.get("MICROSHOP_CONTAINER_TEST") else ["containers"]


@pytest.fixture(scope="session")
def test_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestPostgres]:
    """The embedded PostgreSQL on a free port (never 5438), or the server in TEST_DATABASE_URL."""
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield TestPostgres(admin_url=asyncpg_dsn(external))
        return
    server = EmbeddedPostgres(data_dir=tmp_path_factory.mktemp("pg") / "data", port=free_port(), host_auth="trust")
    server.start()
    try:
        yield TestPostgres(admin_url=server.url())
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def test_nats(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TestBroker]:
    """An embedded NATS with JetStream on a free port (never 4222 or 4223), or the server in TEST_NATS_URL.

    On TEST_NATS_URL only the streams this session created (TestBroker.stream names) are deleted afterwards.
    """
    external = os.environ.get("TEST_NATS_URL")
    if external:
        broker = TestBroker(url=external)
        yield broker
        await broker.delete_own_streams()
        return
    server = throwaway_server(tmp_path_factory.mktemp("nats") / "data")
    await asyncio.to_thread(server.start)
    try:
        yield TestBroker(url=server.url)
    finally:
        await asyncio.to_thread(server.stop)


@pytest.fixture(scope="session", autouse=True)
def _services_use_the_test_broker(test_nats: TestBroker) -> Iterator[None]:
    """NATS_URL for everything the tests start (apps in process, `ServiceProcess`es): the test broker."""
    previous = os.environ.get("NATS_URL")
    os.environ["NATS_URL"] = test_nats.url
    yield
    if previous is None:
        os.environ.pop("NATS_URL", None)
    else:
        os.environ["NATS_URL"] = previous


@pytest.fixture(scope="session")
async def template_database(test_postgres: TestPostgres) -> AsyncIterator[str]:
    """Every service migrated once; modules copy it instead of migrating again."""
    name = unique_name("microshop_template")
    url = await test_postgres.create_database(name)
    for service in SERVICES:
        await asyncio.to_thread(upgrade, service, url)
    yield name
    await test_postgres.drop_database(name)


@pytest.fixture(scope="module")
async def database_url(test_postgres: TestPostgres, template_database: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this test module: tests never see another module's rows."""
    name = unique_name("microshop_test")
    url = await test_postgres.create_database(name, template=template_database)
    yield url
    await test_postgres.drop_database(name)


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    """Signs test tokens; configure a service with `jwt_public_key=tokens.public_pem` to accept them."""
    return TokenFactory(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="session")
async def system_database(test_postgres: TestPostgres, template_database: str) -> AsyncIterator[str]:
    """The database the shared running system uses (its own copy of the template)."""
    name = "microshop_system"
    await test_postgres.drop_database(name)
    url = await test_postgres.create_database(name, template=template_database)
    yield url
    await test_postgres.drop_database(name)


@pytest.fixture(scope="session")
def system(
    system_database: str, tokens: TokenFactory, test_nats: TestBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    """auth, inventory and products as real processes, shared by every cross-process test."""
    yield from start_system(
        database_url=system_database,
        nats_url=test_nats.url,
        tokens=tokens,
        work_dir=tmp_path_factory.mktemp("system"),
    )
