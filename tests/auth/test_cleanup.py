"""The background sweep deletes only rows that can no longer matter."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import time_machine
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from microshop.auth.cleanup import sweep
from microshop.auth.config import AuthSettings
from microshop.auth.notifications.models import SentNotification
from microshop.common.db import create_engine, make_sessionmaker
from tests.auth.support import register, tokens_for
from tests.support.mailbox import Mailbox


async def test_sweep_drops_dead_rows_and_keeps_live_ones(
    client: httpx.AsyncClient, mailbox: Mailbox, auth_settings: Callable[..., AuthSettings]
) -> None:
    settings = auth_settings()
    engine = create_engine(settings.database_url, pool_size=1)
    sessionmaker = make_sessionmaker(engine)
    try:
        old = await tokens_for(client, mailbox)  # a refresh token
        # A wrong password: failure counters that no later request touches.
        await client.post("/login", json={"email": old["email"], "password": "wrong-password"})
        await register(client)  # a pending verification code
        old_email, fresh_email = uuid.uuid4(), uuid.uuid4()
        await claim_email(sessionmaker, old_email, claimed_at=datetime.now(UTC))
        with time_machine.travel(datetime.now(UTC) + timedelta(days=16), tick=True):
            fresh = await tokens_for(client, mailbox)
            await claim_email(sessionmaker, fresh_email, claimed_at=datetime.now(UTC))
            deleted = await sweep(sessionmaker, settings=settings)
            assert deleted["refresh_tokens"] >= 1
            assert deleted["one_time_codes"] >= 1
            assert deleted["rate_limit_counters"] >= 1
            # An order email's claim outlives the events it guards (EVENTS_MAX_AGE_SECONDS, 7 days) by a day.
            assert deleted["sent_notifications"] >= 1
            assert await claimed(sessionmaker) >= {fresh_email} and old_email not in await claimed(sessionmaker)
            assert (
                await client.post("/token/refresh", json={"refresh_token": fresh["refresh_token"]})
            ).status_code == 200
            assert (
                await client.post("/token/refresh", json={"refresh_token": old["refresh_token"]})
            ).status_code == 401
            assert await sweep(sessionmaker, settings=settings) == {
                "rate_limit_counters": 0,
                "one_time_codes": 0,
                "refresh_tokens": 0,
                "sent_notifications": 0,
            }
    finally:
        await engine.dispose()


async def claim_email(
    sessionmaker: async_sessionmaker[AsyncSession], event_id: uuid.UUID, *, claimed_at: datetime
) -> None:
    async with sessionmaker.begin() as session:
        await session.execute(
            insert(SentNotification).values(event_id=event_id, kind="placed", user_id=1, claimed_at=claimed_at)
        )


async def claimed(sessionmaker: async_sessionmaker[AsyncSession]) -> set[uuid.UUID]:
    async with sessionmaker() as session:
        return set(await session.scalars(select(SentNotification.event_id)))
