"""Durable pull consumers with explicit ack: each event applied once, in a transaction of its own.

The events of one fetch are applied in one transaction (if one of them fails, they are applied one
by one, so only that one is retried). Idempotency is either the consumer's record of the event ids
it applied (`processed_events`, written in the same transaction) or the handler's own rule (apply
only a newer per-aggregate version). The message is acked only after the commit; a
failure is retried with a growing delay, and after `max_deliver` failures of the handler (counted
per event by each replica; retries an unreachable database caused do not count) the event goes to
`deadletter.<consumer>` with the error, is logged and counted, and the consumer moves on.
"""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from prometheus_client import Counter, Gauge
from pydantic import ValidationError
from sqlalchemy import Column, DateTime, MetaData, PrimaryKeyConstraint, Table, Text, Uuid, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from microshop.common.events.broker import Namespace, stop_if_cancelled
from microshop.common.events.envelope import Event

log = structlog.get_logger(__name__)

LAG_MEASURE_SECONDS = 1.0  # how often a consumer asks the broker how far behind it is
DATABASE_RETRY_SECONDS = 5.0  # an event that met an unreachable database (or dead-letter stream) waits this long
MAX_TRACKED_FAILURES = 10_000  # events whose failures a consumer remembers at once


def _database_unavailable(exc: BaseException) -> bool:
    """The database is down or unreachable (not the event's fault, so it never counts towards dead letters)."""
    return isinstance(exc, OperationalError | InterfaceError | ConnectionError | TimeoutError | PoolTimeout)


class Handler(Protocol):
    """Applies one event in the transaction of `session` (the consumer commits, then acks)."""

    def __call__(self, session: AsyncSession, *, event: Event) -> Awaitable[None]: ...


class BatchHandler(Protocol):
    """Applies the events of one fetch together, in the transaction of `session` (one statement, say)."""

    def __call__(self, session: AsyncSession, *, events: Sequence[Event]) -> Awaitable[None]: ...


APPLIED = Counter("microshop_events_applied_total", "Events a consumer applied", ["consumer"])
DUPLICATES = Counter("microshop_events_duplicates_total", "Events a consumer had applied already", ["consumer"])
REDELIVERIES = Counter("microshop_events_redeliveries_total", "Events delivered again after a failure", ["consumer"])
DEAD_LETTERS = Counter("microshop_events_dead_letters_total", "Events a consumer gave up on", ["consumer"])
# livemax: the largest figure among the workers alive now (a dead worker's last value goes with it).
LAG = Gauge(
    "microshop_events_consumer_lag", "Events not yet delivered to a consumer", ["consumer"], multiprocess_mode="livemax"
)
BEHIND = Gauge(
    "microshop_events_consumer_behind_seconds",
    "Age of the oldest event a consumer knows of and has not applied (0: caught up)",
    ["consumer"],
    multiprocess_mode="livemax",
)


class Freshness:
    """How far behind its stream one replica's consumer is, in seconds: the age of the oldest event it
    knows of and has not applied yet, 0 once a fetch finds nothing more.

    Until the consumer has caught up once, and while the broker is out of reach, it cannot know what it
    missed: the age is then counted from when it last knew (its start, or the last good fetch).
    """

    def __init__(self) -> None:
        self._behind_since: float | None = time.time()  # not caught up yet

    def seconds(self) -> float:
        """Read from the request thread while the consumer's thread writes: `_behind_since` is read once."""
        behind_since = self._behind_since
        return 0.0 if behind_since is None else max(0.0, time.time() - behind_since)

    def caught_up(self) -> None:
        self._behind_since = None

    def received(self, oldest: datetime) -> None:
        """A fetch brought events; the oldest of them has waited since `oldest`."""
        if self._behind_since is None:
            self._behind_since = oldest.timestamp()

    def applied(self, newest: datetime, *, pending: int) -> None:
        """A batch is applied up to `newest`; `pending` more events were waiting when it was delivered."""
        self._behind_since = None if pending == 0 else newest.timestamp()

    def out_of_touch(self) -> None:
        """The broker is unreachable: what happens meanwhile is unknown, from now on."""
        if self._behind_since is None:
            self._behind_since = time.time()


def processed_events_table(metadata: MetaData) -> Table:
    """Event ids each consumer of a service applied (in that service's schema; its migrations create it)."""
    return Table(
        "processed_events",
        metadata,
        Column("consumer", Text, nullable=False),
        Column("event_id", Uuid, nullable=False),
        Column("applied_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("consumer", "event_id"),
    )


@dataclass(frozen=True)
class Subscription:
    """One durable consumer: which events, what to do with each, and how it stays idempotent."""

    durable: str
    stream: str
    subjects: tuple[str, ...]
    handler: Handler
    # The table recording applied event ids, or None when the handler itself ignores what it has seen
    # (it applies only a newer version of the aggregate).
    processed: Table | None
    max_deliver: int = 5
    ack_wait_seconds: float = 30.0
    batch_size: int = 100
    # For a handler idempotent by itself (`processed` None): the events of a fetch in one call. Fewer
    # round trips per event, and rows locked in an order of the handler's choosing, not the stream's.
    batch_handler: BatchHandler | None = None


async def apply(
    sessionmaker: async_sessionmaker[AsyncSession], subscription: Subscription, events: Sequence[Event]
) -> list[bool]:
    """Run the handler on each event, all in one transaction of their own; False for one applied before."""
    applied = []
    async with sessionmaker.begin() as session:
        if subscription.batch_handler is not None and subscription.processed is None:
            await subscription.batch_handler(session, events=events)
            return [True] * len(events)
        for event in events:
            if subscription.processed is not None:
                first_time = await session.scalar(
                    insert(subscription.processed)
                    .values(consumer=subscription.durable, event_id=event.id)
                    .on_conflict_do_nothing()
                    .returning(subscription.processed.c.event_id)
                )
                if first_time is None:
                    applied.append(False)
                    continue
            await subscription.handler(session, event=event)
            applied.append(True)
    return applied


class Consumer:
    """Pulls one subscription's events and applies them until cancelled."""

    def __init__(
        self,
        subscription: Subscription,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        jetstream: Callable[[], Awaitable[JetStreamContext]],
        namespace: Namespace = Namespace(),
        connected: Callable[[], bool] = lambda: True,
    ) -> None:
        self.subscription = subscription
        self.connected = connected
        self.namespace = namespace
        self.stream = namespace.stream(subscription.stream)
        self.sessionmaker = sessionmaker
        self.jetstream = jetstream
        self.freshness = Freshness()
        # The handler's own failures per event in this replica: the broker's delivery count also counts
        # the retries an unreachable database or an expired ack caused, which are not the event's fault.
        self._failures: dict[uuid.UUID, int] = {}

    def config(self) -> ConsumerConfig:
        subscription = self.subscription
        subjects = [self.namespace.subject(subject) for subject in subscription.subjects]
        filters: dict[str, Any] = (
            {"filter_subject": subjects[0]} if len(subjects) == 1 else {"filter_subjects": subjects}
        )
        return ConsumerConfig(
            durable_name=subscription.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            # Unlimited at the broker: the consumer itself parks an event after `max_deliver` failures of
            # its own, so a delivery lost to a crash, a timeout or an unreachable database never drops one.
            max_deliver=-1,
            ack_wait=subscription.ack_wait_seconds,
            **filters,
        )

    async def run(self) -> None:
        js = await self.jetstream()
        subscription = self.subscription
        # Declared by code, idempotently: every replica sends the same configuration.
        await js.add_consumer(self.stream, self.config())
        pull = await js.pull_subscribe_bind(durable=subscription.durable, stream=self.stream)
        log.info("consumer_started", consumer=subscription.durable, stream=self.stream)
        # Measured beside the fetches, busy or idle: a round trip to the broker in between would delay a batch.
        measuring = asyncio.create_task(self._measure_lag_every_second(js))
        try:
            await self._consume(pull)
        finally:
            measuring.cancel()
            await asyncio.gather(measuring, return_exceptions=True)

    async def _consume(self, pull: JetStreamContext.PullSubscription) -> None:
        """Fetch and apply until cancelled (nats-py's fetch returns as soon as the broker has delivered)."""
        subscription = self.subscription
        while True:
            stop_if_cancelled()
            try:
                messages = await pull.fetch(subscription.batch_size, timeout=1)
            except TimeoutError:  # nothing more to deliver (nats-py's timeout is a TimeoutError too), or no broker
                if self.connected():
                    self.freshness.caught_up()
                else:
                    self.freshness.out_of_touch()
                continue
            except Exception as exc:  # the broker is away: nats-py reconnects, we wait a moment
                self.freshness.out_of_touch()
                log.warning(
                    "consumer_fetch_failed", consumer=subscription.durable, error=str(exc) or type(exc).__name__
                )
                await asyncio.sleep(1)
                continue
            await self.handle_batch(messages)

    async def handle_batch(self, messages: Sequence[Msg]) -> None:
        """Apply what one fetch brought in one transaction, then ack each; if any fails, one by one."""
        readable = []
        for message in messages:
            if message.metadata.num_delivered > 1:
                REDELIVERIES.labels(consumer=self.subscription.durable).inc()
            try:
                readable.append((message, Event.from_json(message.data)))
            except ValidationError as exc:  # never readable, so never applicable: no point in retrying
                await self.dead_letter(message, error=f"unreadable event: {exc.errors()[0]['msg']}")
        if readable:
            self.freshness.received(min(event.time for _, event in readable))
        settled = await self._apply_batch(readable)
        if messages and settled:  # an event left for a retry keeps the consumer behind
            newest = max((event.time for _, event in readable), default=datetime.now(UTC))
            self.freshness.applied(newest, pending=messages[-1].metadata.num_pending or 0)

    async def _apply_batch(self, readable: Sequence[tuple[Msg, Event]]) -> bool:
        """Apply and ack; False if any event was left for a retry."""
        if len(readable) > 1:
            try:
                outcomes = await apply(self.sessionmaker, self.subscription, [event for _, event in readable])
            except Exception:  # some event fails: apply them apart, so only that one is retried
                log.info("event_batch_split", consumer=self.subscription.durable, events=len(readable))
            else:
                for (message, _), applied in zip(readable, outcomes, strict=True):
                    (APPLIED if applied else DUPLICATES).labels(consumer=self.subscription.durable).inc()
                    await message.ack()
                return True
        settled = [await self.handle(message, event) for message, event in readable]
        return all(settled)

    async def handle(self, message: Msg, event: Event) -> bool:
        """Apply one event, then ack; nak with a delay on failure; dead-letter past max_deliver.

        False when the event is left for a retry (its failure, or the database's).
        """
        subscription = self.subscription
        try:
            (applied,) = await apply(self.sessionmaker, subscription, [event])
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if _database_unavailable(exc):  # not the event's fault: it waits, however long that takes
                log.warning("event_deferred", consumer=subscription.durable, event_id=str(event.id), error=error)
                await message.nak(delay=DATABASE_RETRY_SECONDS)
                return False
            failures = self._failures[event.id] = self._failures.get(event.id, 0) + 1
            if failures >= subscription.max_deliver:
                self._failures.pop(event.id, None)
                return await self.dead_letter(message, error=error, event=event)
            log.warning(
                "event_failed", consumer=subscription.durable, event_id=str(event.id), attempt=failures, error=error
            )
            if len(self._failures) > MAX_TRACKED_FAILURES:  # events another replica settled: forget the oldest
                self._failures.pop(next(iter(self._failures)))
            await message.nak(delay=min(0.5 * 2**failures, 30.0))
            return False
        self._failures.pop(event.id, None)
        (APPLIED if applied else DUPLICATES).labels(consumer=subscription.durable).inc()
        await message.ack()
        return True

    async def dead_letter(self, message: Msg, *, error: str, event: Event | None = None) -> bool:
        """Park the event on `deadletter.<consumer>` with why, then stop its redelivery (False: not parked yet)."""
        subscription = self.subscription
        js = await self.jetstream()
        headers = {
            "Microshop-Consumer": subscription.durable,
            "Microshop-Error": error[:1000],
            "Microshop-Subject": message.subject,
        }
        # Parked once even if this runs twice (an unreadable event has no id: its place in the stream is one).
        parked_as = str(event.id) if event is not None else f"seq:{message.metadata.sequence.stream}"
        headers["Nats-Msg-Id"] = f"{subscription.durable}:{parked_as}"
        subject = self.namespace.subject(f"deadletter.{subscription.durable}")
        try:
            await js.publish(subject, message.data, headers=headers)
        except Exception as exc:  # parked nowhere yet: delivered again later, never dropped
            log.warning("dead_letter_failed", consumer=subscription.durable, error=str(exc) or type(exc).__name__)
            await message.nak(delay=DATABASE_RETRY_SECONDS)
            return False
        DEAD_LETTERS.labels(consumer=subscription.durable).inc()
        log.error(
            "event_dead_lettered",
            consumer=subscription.durable,
            event_id=str(event.id) if event else None,
            subject=message.subject,
            error=error,
        )
        await message.term()
        return True

    async def _measure_lag_every_second(self, js: JetStreamContext) -> None:
        while True:
            await self._measure_lag(js)
            await asyncio.sleep(LAG_MEASURE_SECONDS)

    async def _measure_lag(self, js: JetStreamContext) -> None:
        # How far behind is known locally, so it is reported while the broker is away too.
        BEHIND.labels(consumer=self.subscription.durable).set(self.freshness.seconds())
        try:
            info = await js.consumer_info(self.stream, self.subscription.durable)
        except Exception:  # a metric is not worth an error: the next second tries again
            return
        LAG.labels(consumer=self.subscription.durable).set(info.num_pending or 0)
