"""The lifespan hook that gives a service its broker connection, outbox relay and consumers."""

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI
from sqlalchemy import Table

from microshop.common.db import create_engine, make_sessionmaker
from microshop.common.events.broker import Broker, Namespace, Stream, StreamLimits, stop_if_cancelled
from microshop.common.events.consumer import Consumer, Subscription
from microshop.common.events.outbox import OutboxRelay
from microshop.common.service import LifespanHook

log = structlog.get_logger(__name__)

RESTART_SECONDS = 1.0


def events_hook(
    *, streams: Sequence[Stream], outbox: Table | None = None, subscriptions: Sequence[Subscription] = ()
) -> LifespanHook:
    """Connect to the broker in the background; relay `outbox` and run `subscriptions` while the app lives.

    The app serves at once: requests never wait for the broker (docs/events.md#when-the-broker-is-down).
    """

    @asynccontextmanager
    async def hook(app: FastAPI) -> AsyncIterator[None]:
        settings = app.state.settings
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
        app.state.broker = broker
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
        app.state.consumers = consumers  # by durable name: their freshness is read by routes
        workers: list[Callable[[], Coroutine[Any, Any, None]]] = [consumer.run for consumer in consumers.values()]
        if outbox is not None:
            relay = OutboxRelay(
                outbox=outbox, sessionmaker=sessionmaker, jetstream=broker.jetstream, namespace=namespace
            )
            app.state.outbox_relay = relay
            workers.append(relay.run)
        tasks = [asyncio.create_task(_restarted(worker)) for worker in workers]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await broker.close()
            await engine.dispose()

    return hook


async def _restarted(run: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a worker until cancelled; one that fails is logged and started again a second later."""
    while True:
        stop_if_cancelled()
        try:
            await run()
        except Exception:  # a background worker must neither die silently nor take the service down
            log.exception("events_worker_failed", worker=getattr(run, "__qualname__", repr(run)))
            await asyncio.sleep(RESTART_SECONDS)
