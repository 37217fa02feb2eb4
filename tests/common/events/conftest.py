"""A real NATS JetStream server for the event library's tests, and a schema of their own."""

from collections.abc import AsyncIterator

import nats
import pytest
from sqlalchemy import Column, MetaData, Table, Text, Uuid, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from microshop.common.db import create_engine, make_sessionmaker
from microshop.common.events.consumer import processed_events_table
from microshop.common.events.outbox import outbox_table
from tests.support.broker import TestBroker

SCHEMA = "sample_events"


@pytest.fixture
async def nc(test_nats: TestBroker) -> AsyncIterator[nats.aio.client.Client]:
    async with test_nats.connect() as client:
        yield client


@pytest.fixture(scope="module")
def metadata() -> MetaData:
    return MetaData(schema=SCHEMA)


@pytest.fixture(scope="module")
def outbox(metadata: MetaData) -> Table:
    return outbox_table(metadata)


@pytest.fixture(scope="module")
def processed(metadata: MetaData) -> Table:
    return processed_events_table(metadata)


@pytest.fixture(scope="module")
def applied(metadata: MetaData) -> Table:
    """What the sample handlers did: one row per application."""
    return Table("applied", metadata, Column("event_id", Uuid), Column("note", Text))


@pytest.fixture(scope="module")
async def engine(
    database_url: str, metadata: MetaData, outbox: Table, processed: Table, applied: Table
) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
async def sessionmaker(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {SCHEMA}.outbox, {SCHEMA}.processed_events, {SCHEMA}.applied"))
    yield make_sessionmaker(engine)
