"""The lifespan hook that gives a service its broker connection, outbox relay and consumers."""

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog
from fastapi import FastAPI
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from microshop.common.db import create_engine, make_sessionmaker
from microshop.common.events.broker import Broker, Namespace, Stream, StreamLimits, stop_if_cancelled
from microshop.common.events.consumer import Consumer, Subscription
from microshop.common.events.loop_thread import EventLoopThread
from microshop.common.events.outbox import OutboxRelay
from microshop.common.service import LifespanHook
from microshop.common.settings import ServiceSettings

log = structlog.get_logger(__name__)

RESTART_SECONDS = 1.0
# A stop waits this long for the workers' work under way (a hook whose handlers take longer says how
# long, e.g. an email's SMTP exchange), then for their thread.
STOP_SECONDS = 10.0
THREAD_STOP_SECONDS = 2.0


def events_hook(
    *,
    streams: Sequence[Stream],
    outbox: Table | None = None,
    subscriptions: Sequence[Subscription] = (),
    stop_seconds: float = STOP_SECONDS,
) -> LifespanHook:
    """Connect to the broker in the background; relay `outbox` and run `subscriptions` while the app lives.

    The app serves at once: requests never wait for the broker (docs/events.md#when-the-broker-is-down).
    The workers run on a loop and thread of their own (docs/events.md#how-the-workers-run):
    `app.state.events_loop` runs a coroutine there, e.g. one that uses `app.state.broker`.
    """

    @asynccontextmanager
    async def hook(app: FastAPI) -> AsyncIterator[None]:
        settings: ServiceSettings = app.state.settings
        thread = EventLoopThread(f"{settings.service_name}-events", join_seconds=THREAD_STOP_SECONDS)
        thread.start()
        try:
            workers = await thread.run(_start(settings, streams=streams, outbox=outbox, subscriptions=subscriptions))
            app.state.events_loop = thread
            app.state.broker = workers.broker
            app.state.consumers = workers.consumers  # by durable name: their freshness is read by routes
            if workers.relay is not None:
                app.state.outbox_relay = workers.relay
            try:
                yield
            finally:
                try:
                    await asyncio.wait_for(thread.run(workers.stop()), timeout=stop_seconds)
                except TimeoutError:
                    log.warning("events_workers_not_stopped", seconds=stop_seconds)
        finally:
            await thread.stop()

    return hook


@dataclass
class _Workers:
    """What one process runs for its events, all made on (and used from) the events loop."""

    broker: Broker
    engine: AsyncEngine
    consumers: dict[str, Consumer]
    relay: OutboxRelay | None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.broker.close()
        await self.engine.dispose()


async def _start(
    settings: ServiceSettings,
    *,
    streams: Sequence[Stream],
    outbox: Table | None,
    subscriptions: Sequence[Subscription],
) -> _Workers:
    namespace = Namespace(settings.events_namespace)
    broker = Broker(
        url=settings.nats_url,
        namespace=namespace,
        name=settings.service_name,
        streams=streams,
        limits=StreamLimits(
            max_age_seconds=settings.events_max_age_seconds,
            max_bytes=settings.events_max_bytes,
            duplicate_window_seconds=settings.events_duplicate_window_seconds,
            replicas=settings.events_replicas,
        ),
    )
    broker.start()
    # The event workers' own connections: under load, requests holding the main pool would make
    # them queue for one, and the events (the stock figures on every page) fall behind.
    engine = create_engine(
        settings.database_url,
        pool_size=len(subscriptions) + 2,  # each consumer, the relay and its measurements
        application_name=f"{settings.service_name}-events",
    )
    sessionmaker = make_sessionmaker(engine)
    consumers = {
        subscription.durable: Consumer(
            subscription,
            sessionmaker=sessionmaker,
            jetstream=broker.jetstream,
            namespace=namespace,
            connected=lambda: broker.connected,
        )
        for subscription in subscriptions
    }
    relay = (
        OutboxRelay(outbox=outbox, sessionmaker=sessionmaker, jetstream=broker.jetstream, namespace=namespace)
        if outbox is not None
        else None
    )
    workers = _Workers(broker=broker, engine=engine, consumers=consumers, relay=relay)
    runs: list[Callable[[], Coroutine[Any, Any, None]]] = [consumer.run for consumer in consumers.values()]
    if relay is not None:
        runs.append(relay.run)
    workers.tasks = [asyncio.create_task(_restarted(run)) for run in runs]
    return workers


async def _restarted(run: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a worker until cancelled; one that fails is logged and started again a second later."""
    while True:
        stop_if_cancelled()
        try:
            await run()
        except Exception:  # a background worker must neither die silently nor take the service down
            log.exception("events_worker_failed", worker=getattr(run, "__qualname__", repr(run)))
            await asyncio.sleep(RESTART_SECONDS)
