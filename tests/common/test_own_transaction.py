"""`own_transaction`: a write that stands although the request fails, without starving the pool."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, Request
from sqlalchemy import text

from microshop.common.db import SessionDep, create_engine, own_transaction
from microshop.common.errors import Conflict
from microshop.common.service import create_service_app
from tests.common.support import SampleSettings
from tests.support.apps import app_client, make_settings

router = APIRouter()


@router.post("/kept-then-fail/{note}")
async def kept_then_fail(note: str, request: Request, session: SessionDep) -> None:
    """Hold the request's connection, write once in a transaction of its own and once in the request's, then fail."""
    await session.execute(text("INSERT INTO sample_notes (note) VALUES (:note || '-request')"), {"note": note})
    await request.app.state.both_hold_a_connection.wait()
    async with own_transaction(session) as own:
        await own.execute(text("INSERT INTO sample_notes (note) VALUES (:note || '-own')"), {"note": note})
    raise Conflict("the request fails after its own transaction committed")


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS sample_notes (note text)"))
    await engine.dispose()
    # The main pool holds two connections in all (twice its pool size of 1).
    settings = make_settings(SampleSettings, database_url=database_url, db_pool_size=1)
    app = create_service_app(settings, title="sample", description="own transactions", routers=[router])
    app.state.both_hold_a_connection = asyncio.Barrier(2)
    async with app_client(app) as client:
        yield client


async def notes(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT note FROM sample_notes ORDER BY note"))
        found = [row.note for row in rows]
    await engine.dispose()
    return found


async def test_the_own_write_stands_and_the_requests_is_rolled_back(
    client: httpx.AsyncClient, database_url: str
) -> None:
    client._transport.app.state.both_hold_a_connection = asyncio.Barrier(1)  # type: ignore[attr-defined]
    response = await client.post("/kept-then-fail/alone")
    assert response.status_code == 409
    assert [note for note in await notes(database_url) if note.startswith("alone")] == ["alone-own"]


async def test_requests_holding_every_main_connection_still_get_their_own(
    client: httpx.AsyncClient, database_url: str
) -> None:
    """Two requests hold both connections of the main pool and each asks for one more: neither waits forever."""
    first, second = await asyncio.wait_for(
        asyncio.gather(client.post("/kept-then-fail/first"), client.post("/kept-then-fail/second")), timeout=20
    )
    assert (first.status_code, second.status_code) == (409, 409)
    assert {"first-own", "second-own"} <= set(await notes(database_url))
    assert not {"first-request", "second-request"} & set(await notes(database_url))
