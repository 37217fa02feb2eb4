"""Services in process: settings for a test and an HTTP client on the running app."""

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI
from nats.js import JetStreamContext
from sqlalchemy.engine import make_url

from microshop.common.settings import ServiceSettings
from tests.support.broker import SESSION_PREFIX

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)
T = TypeVar("T")

# EVENTS_MAX_BYTES of every service a test starts. JetStream reserves each stream's maximum from
# its storage when the stream is made, and every test database's services declare their own
# streams on the run's one broker: at the 1 GiB default a run ran out of storage to reserve.
TEST_STREAM_BYTES = 16 * 1024 * 1024


def make_settings(settings_class: type[SettingsT], **overrides: Any) -> SettingsT:
    """Settings for a test: test environment, no `.env` file, the given overrides.

    Services on one test database share an events namespace, and no other database's services
    see their events on the run's one broker.
    """
    overrides.setdefault("environment", "test")
    overrides.setdefault("events_max_bytes", TEST_STREAM_BYTES)
    if "database_url" in overrides:
        overrides.setdefault("events_namespace", events_namespace_for(overrides["database_url"]))
    return settings_class(_env_file=None, **overrides)


def events_namespace_for(database_url: str) -> str:
    """The events namespace of the services on this database: the session's prefix and the database's name
    (as NATS and the setting accept, at most 40 characters), so the session's end finds their streams."""
    name = (make_url(database_url).database or "default").lower().removeprefix("microshop_")
    room = 40 - len(SESSION_PREFIX) - 1
    return f"{SESSION_PREFIX}_{re.sub(r'[^a-z0-9_]', '_', name)[-room:]}"


@asynccontextmanager
async def app_client(app: FastAPI, **kwargs: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in process, with its lifespan (database, HTTP client) running."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", **kwargs) as client:
            yield client


async def on_broker(app: FastAPI, use: Callable[[JetStreamContext], Awaitable[T]]) -> T:
    """`use(js)` on the app's broker connection, run on the events loop that connection belongs to."""

    async def with_jetstream() -> T:
        return await use(await app.state.broker.jetstream())

    result: T = await app.state.events_loop.run(with_jetstream())
    return result
