"""A request that loses a real deadlock or serialization failure runs again; past the budget, 503 (never 500)."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from microshop.common.db import create_engine
from tests.common.support import SampleSettings, create_app
from tests.support.apps import app_client, make_settings

ATTEMPTS = 3


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS sample_locks (id int PRIMARY KEY)"))
        await conn.execute(text("INSERT INTO sample_locks VALUES (1), (2) ON CONFLICT DO NOTHING"))
    await engine.dispose()
    app = create_app(make_settings(SampleSettings, database_url=database_url, db_retry_attempts=ATTEMPTS))
    app.state.lock_attempts, app.state.raise_attempts = [], []
    app.state.lock_partner = asyncio.Barrier(2)
    async with app_client(app) as client:
        # A real server answers an unhandled error with 500; ASGITransport would re-raise it instead.
        client._transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[attr-defined]
        yield client


async def test_the_deadlock_victim_runs_again_and_both_requests_succeed(client: httpx.AsyncClient) -> None:
    one, two = await asyncio.gather(
        client.post("/lock/1/then/2", json={"name": "one", "quantity": 1}),
        client.post("/lock/2/then/1", json={"name": "two", "quantity": 2}),
    )
    assert (one.status_code, two.status_code) == (200, 200), (one.text, two.text)
    # The replayed request read its body again: each answer echoes its own item.
    assert one.json() == {"name": "one", "quantity": 1}
    assert two.json() == {"name": "two", "quantity": 2}
    attempts = client._transport.app.state.lock_attempts  # type: ignore[attr-defined]
    assert len(attempts) == 3, attempts  # one of the two ran twice


async def test_a_conflict_on_every_attempt_is_503_database_busy(client: httpx.AsyncClient) -> None:
    response = await client.post("/raise/40001")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["error"]["code"] == "database_busy"
    assert client._transport.app.state.raise_attempts == ["40001"] * ATTEMPTS  # type: ignore[attr-defined]


async def test_a_deadlock_on_every_attempt_is_503_too(client: httpx.AsyncClient) -> None:
    response = await client.post("/raise/40P01")
    assert response.status_code == 503
    assert client._transport.app.state.raise_attempts == ["40P01"] * ATTEMPTS  # type: ignore[attr-defined]


async def test_other_database_errors_are_not_run_again(client: httpx.AsyncClient) -> None:
    response = await client.post("/raise/P0001")
    assert response.status_code == 500
    assert client._transport.app.state.raise_attempts == ["P0001"]  # type: ignore[attr-defined]


async def test_a_request_that_already_committed_something_is_not_run_again(client: httpx.AsyncClient) -> None:
    response = await client.post("/commit-then-raise/40P01")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_busy"
    assert client._transport.app.state.raise_attempts == ["40P01"]  # type: ignore[attr-defined]
