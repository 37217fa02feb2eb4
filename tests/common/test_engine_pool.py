"""`create_engine`'s pool: the connections a burst opened stay open for the next burst."""

import asyncio
from typing import Any

from sqlalchemy import event, text

from microshop.common.db import create_engine


async def test_a_burst_past_the_pool_size_opens_no_connection_the_second_time(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1)
    opened: list[Any] = []
    event.listen(engine.sync_engine, "connect", lambda connection, _record: opened.append(connection))
    both_connected = asyncio.Barrier(2)

    async def one_request() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            await both_connected.wait()  # the two requests hold a connection each at the same time

    try:
        await asyncio.gather(one_request(), one_request())
        await asyncio.gather(one_request(), one_request())
    finally:
        await engine.dispose()
    # A connection closed on its return costs the next burst a new backend (fork, login, statements prepared again).
    assert len(opened) == 2
