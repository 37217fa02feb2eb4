"""The transactional outbox: events recorded with the state change, published later by the relay.

`record()` inserts the event into the service's own `outbox` table in the caller's transaction, so
the event exists if and only if the change committed. `OutboxRelay` (a background task in every
replica) publishes unsent rows to JetStream with `Nats-Msg-Id` = the event id and marks them sent:
at least once, in order per subject (aggregate); JetStream's duplicate window absorbs a relay that
published and died before marking.
"""

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import structlog
from nats.js import JetStreamContext
from prometheus_client import Counter, Gauge
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    MetaData,
    Table,
    Text,
    Uuid,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from microshop.common.db import lock_class
from microshop.common.events.broker import Namespace, stop_if_cancelled
from microshop.common.events.envelope import Event

log = structlog.get_logger(__name__)

PUBLISHED = Counter("microshop_outbox_published_total", "Events the relay published", ["outbox"])
UNSENT = Gauge("microshop_outbox_unsent", "Outbox rows not yet published", ["outbox"], multiprocess_mode="livemax")
OLDEST_UNSENT_AGE = Gauge(
    "microshop_outbox_oldest_unsent_seconds",
    "Age of the oldest unpublished event",
    ["outbox"],
    multiprocess_mode="livemax",
)

_RECORDED = "microshop.outbox_recorded"  # session.info key: outbox tables written in this transaction
# Outbox table → how to wake its relay in this process, from any thread (the relay runs on the events loop).
_wakeups: dict[str, Callable[[], object]] = {}


def outbox_table(metadata: MetaData) -> Table:
    """The `outbox` table of a service, in that service's schema (its migrations create it)."""
    return Table(
        "outbox",
        metadata,
        Column("seq", BigInteger, Identity(), primary_key=True),
        Column("id", Uuid, nullable=False, unique=True),
        Column("type", Text, nullable=False),
        Column("subject", Text, nullable=False),
        Column("payload", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("sent_at", DateTime(timezone=True)),
        Index("ix_outbox_unsent", "seq", postgresql_where=text("sent_at IS NULL")),
    )


async def record(
    session: AsyncSession, outbox: Table, *, source: str, type: str, subject: str, data: dict[str, Any]
) -> Event:
    """Add an event to the outbox in the session's transaction; the relay publishes it after commit."""
    event = Event(type=type, source=source, subject=subject, data=data)
    await session.execute(
        insert(outbox).values(
            id=event.id, type=event.type, subject=event.subject, payload=event.to_json().decode(), created_at=event.time
        )
    )
    session.info.setdefault(_RECORDED, set()).add(outbox.fullname)
    return event


def _wake_relays(session: Session) -> None:
    """After a commit that recorded events, the relay of this process publishes at once (no polling delay)."""
    for table in session.info.pop(_RECORDED, ()):
        if (wake := _wakeups.get(table)) is not None:
            with contextlib.suppress(RuntimeError):  # its loop closed meanwhile: the relay is gone
                wake()


def _forget_recorded(session: Session) -> None:
    session.info.pop(_RECORDED, None)


def install_wakeups() -> None:
    """Listen to every session's commits and rollbacks once per process."""
    from sqlalchemy import event

    if not event.contains(Session, "after_commit", _wake_relays):
        event.listen(Session, "after_commit", _wake_relays)
        event.listen(Session, "after_rollback", _forget_recorded)


class OutboxRelay:
    """Publishes a service's unsent outbox rows, oldest first, and marks them sent."""

    def __init__(
        self,
        *,
        outbox: Table,
        sessionmaker: async_sessionmaker[AsyncSession],
        jetstream: Callable[[], Any],
        batch_size: int = 200,
        poll_seconds: float = 1.0,
        publish_timeout: float = 2.0,
        keep_sent: timedelta = timedelta(days=1),
        namespace: Namespace = Namespace(),
    ) -> None:
        self.namespace = namespace
        self.outbox = outbox
        self.sessionmaker = sessionmaker
        self.jetstream = jetstream
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.publish_timeout = publish_timeout
        self.keep_sent = keep_sent
        # Advisory locks of this outbox: one per subject, so replicas never publish one aggregate at once.
        self.lock_class = lock_class(outbox.fullname)
        self.wakeup = asyncio.Event()
        self._last_cleanup = 0.0

    async def run(self) -> None:
        """Until cancelled: publish what is unsent, then wait for a commit in this process or the next poll."""
        install_wakeups()
        wake = functools.partial(asyncio.get_running_loop().call_soon_threadsafe, self.wakeup.set)
        _wakeups[self.outbox.fullname] = wake
        # Measured apart from publishing, so /metrics shows rows piling up while the broker is away.
        measuring = asyncio.create_task(self._measure_every_second())
        try:
            await self._relay_forever()
        finally:
            measuring.cancel()
            await asyncio.gather(measuring, return_exceptions=True)
            if _wakeups.get(self.outbox.fullname) is wake:
                del _wakeups[self.outbox.fullname]

    async def _relay_forever(self) -> None:
        js = await self.jetstream()
        backoff = self.poll_seconds
        while True:
            stop_if_cancelled()
            self.wakeup.clear()
            try:
                published = await self.relay_once(js)
                await self._housekeeping()
                backoff = self.poll_seconds
            except Exception as exc:  # the broker or the database is away: rows wait, try again later
                log.warning("outbox_relay_failed", outbox=self.outbox.fullname, error=str(exc) or type(exc).__name__)
                published, backoff = 0, min(backoff * 2, 10.0)
            if published >= self.batch_size:
                continue  # more are waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), timeout=backoff)

    async def relay_once(self, js: JetStreamContext) -> int:
        """Publish one batch; returns how many rows were published (and marked sent).

        A row that cannot be published holds back the later rows of its subject only (order per
        subject); the others go on, what was published is marked and committed, and then the
        failure is raised so the relay backs off.
        """
        table = self.outbox
        async with self.sessionmaker.begin() as session:
            # The subjects of the oldest unsent rows that no other replica is publishing, locked in one
            # statement (the lock function is volatile, so it runs on the distinct subjects only).
            oldest = (
                select(table.c.subject)
                .where(table.c.sent_at.is_(None))
                .order_by(table.c.seq)
                .limit(self.batch_size)
                .subquery()
            )
            subjects = select(oldest.c.subject).distinct().subquery()
            lock = func.pg_try_advisory_xact_lock(self.lock_class, func.hashtext(subjects.c.subject))
            mine = list((await session.scalars(select(subjects.c.subject).where(lock))).all())
            if not mine:
                return 0
            rows = (
                await session.execute(
                    select(table.c.seq, table.c.id, table.c.type, table.c.subject, table.c.payload)
                    .where(table.c.sent_at.is_(None), table.c.subject.in_(mine))
                    .order_by(table.c.seq)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            # Each subject's rows one after the other (the next only once the last is stored), the
            # subjects side by side: order per aggregate, without one round trip per row in all.
            chains: dict[str, list[Any]] = {}
            for row in rows:
                chains.setdefault(row.subject, []).append(row)
            outcomes = await asyncio.gather(*(self._publish_in_order(js, chain) for chain in chains.values()))
            sent = [seq for published, _ in outcomes for seq in published]
            failure = next((error for _, error in outcomes if error is not None), None)
            if sent:
                await session.execute(update(table).where(table.c.seq.in_(sent)).values(sent_at=func.now()))
        if sent:
            PUBLISHED.labels(outbox=table.fullname).inc(len(sent))
        if failure is not None:
            raise failure
        return len(sent)

    async def _publish_in_order(self, js: JetStreamContext, rows: list[Any]) -> tuple[list[int], Exception | None]:
        """Publish one subject's rows in order; at the first failure stop, so a later row never overtakes it."""
        published: list[int] = []
        for row in rows:
            try:
                await js.publish(
                    self.namespace.subject(row.type),
                    row.payload.encode(),
                    timeout=self.publish_timeout,
                    headers={"Nats-Msg-Id": str(row.id)},
                )
            except Exception as exc:  # this subject waits; the others go on
                return published, exc
            published.append(row.seq)
        return published, None

    async def measure(self) -> None:
        """Unsent rows and the oldest one's age, for /metrics."""
        table = self.outbox
        async with self.sessionmaker() as session:
            count, oldest = (
                await session.execute(
                    select(func.count(), func.extract("epoch", func.now() - func.min(table.c.created_at))).where(
                        table.c.sent_at.is_(None)
                    )
                )
            ).one()
        UNSENT.labels(outbox=table.fullname).set(count)
        OLDEST_UNSENT_AGE.labels(outbox=table.fullname).set(float(oldest or 0))

    async def _measure_every_second(self) -> None:
        while True:
            try:
                await self.measure()
            except Exception as exc:  # the database is away: the gauges keep their last figures
                log.debug("outbox_not_measured", outbox=self.outbox.fullname, error=str(exc) or type(exc).__name__)
            await asyncio.sleep(1)

    async def _housekeeping(self) -> None:
        """Delete rows sent over `keep_sent` ago, at most once a minute."""
        now = time.monotonic()
        if now - self._last_cleanup < 60:
            return
        self._last_cleanup = now
        table = self.outbox
        async with self.sessionmaker.begin() as session:
            await session.execute(delete(table).where(table.c.sent_at < func.now() - self.keep_sent))
