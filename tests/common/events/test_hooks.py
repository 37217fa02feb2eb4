"""The events hook: a service's relay and consumers run on a loop of their own, beside the requests'."""

import asyncio
import threading
import uuid

import pytest
from fastapi import FastAPI
from nats.aio.client import Client
from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from microshop.common.events.broker import Namespace, Stream
from microshop.common.events.consumer import Subscription
from microshop.common.events.envelope import Event
from microshop.common.events.hooks import events_hook
from microshop.common.events.outbox import record
from microshop.common.settings import ServiceSettings
from tests.common.events.test_consumer import notes
from tests.support.apps import make_settings
from tests.support.broker import TestBroker

pytestmark = pytest.mark.broker


async def test_events_are_relayed_and_applied_while_the_request_loop_is_blocked(
    database_url: str,
    test_nats: TestBroker,
    nc: Client,
    outbox: Table,
    applied: Table,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """A request loop busy for seconds (here: blocked outright) does not hold back the events of its process."""
    prefix = f"h{uuid.uuid4().hex[:12]}"
    stream = Stream(f"H{prefix}", (f"{prefix}.>",))
    handled = threading.Event()

    async def note(session: AsyncSession, *, event: Event) -> None:
        await session.execute(insert(applied).values(event_id=event.id, note=event.data["note"]))
        handled.set()

    subscription = Subscription(
        durable=f"hook-{prefix}", stream=stream.name, subjects=(f"{prefix}.>",), handler=note, processed=None
    )
    settings = make_settings(ServiceSettings, database_url=database_url, nats_url=test_nats.url, service_name=prefix)
    app = FastAPI()
    app.state.settings = settings
    try:
        async with events_hook(streams=[stream], outbox=outbox, subscriptions=[subscription])(app):
            async with sessionmaker.begin() as session:  # a request's commit: the relay is woken from this thread
                await record(session, outbox, source="test", type=f"{prefix}.changed", subject="x", data={"note": "x"})
            # Blocks this loop, the one requests run on: relayed, delivered and applied elsewhere, or never.
            assert handled.wait(timeout=30), "the event was not applied while the request loop was blocked"
            async with asyncio.timeout(10):
                while await notes(sessionmaker, applied) != ["x"]:
                    await asyncio.sleep(0.05)
        assert not [thread for thread in threading.enumerate() if thread.name == f"{prefix}-events"]
    finally:
        await nc.jetstream().delete_stream(Namespace(settings.events_namespace).stream(stream.name))


async def test_a_stop_waits_for_the_work_under_way_as_long_as_the_hook_allows(
    database_url: str, test_nats: TestBroker, nc: Client
) -> None:
    """A handler shielding its unit from cancellation (an email being sent) is waited for, within the hook's bound."""
    prefix = f"s{uuid.uuid4().hex[:12]}"
    stream = Stream(f"S{prefix}", (f"{prefix}.>",))
    started, done = threading.Event(), threading.Event()

    async def slow_unit() -> None:
        started.set()
        await asyncio.sleep(1.0)
        done.set()

    async def handle(session: AsyncSession, *, event: Event) -> None:
        unit = asyncio.ensure_future(slow_unit())
        try:
            await asyncio.shield(unit)
        except asyncio.CancelledError:
            await asyncio.wait([unit])
            raise

    subscription = Subscription(
        durable=f"stop-{prefix}", stream=stream.name, subjects=(f"{prefix}.>",), handler=handle, processed=None
    )
    settings = make_settings(ServiceSettings, database_url=database_url, nats_url=test_nats.url, service_name=prefix)
    app = FastAPI()
    app.state.settings = settings
    namespace = Namespace(settings.events_namespace)
    try:
        async with events_hook(streams=[stream], subscriptions=[subscription], stop_seconds=5.0)(app):
            event = Event(type=f"{prefix}.changed", source="test", subject="x", data={})
            async with asyncio.timeout(30):
                while True:  # the stream exists once the hook's broker has declared it
                    try:
                        await nc.jetstream().publish(namespace.subject(event.type), event.to_json())
                        break
                    except Exception:
                        await asyncio.sleep(0.1)
            assert await asyncio.to_thread(started.wait, 30), "the handler never started"
        assert done.is_set(), "the stop did not wait for the unit under way"
    finally:
        await nc.jetstream().delete_stream(namespace.stream(stream.name))
