"""The connection to NATS JetStream: made in the background, kept forever, streams declared by code.

A service starts and serves while the broker is down: the outbox keeps what it has to say and the
consumers wait; both pick up once `jetstream()` answers.
"""

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

import nats
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from microshop.common.settings import nats_servers, redact_url

log = structlog.get_logger(__name__)

CONNECT_RETRY_SECONDS = 1.0
CLOSE_SECONDS = 5.0
CLOSE_FLUSH_SECONDS = 2


def stop_if_cancelled() -> None:
    """Raise CancelledError if this task was asked to stop but the request was lost on the way.

    On Python 3.11 `asyncio.wait_for` (which nats-py's fetch and requests use) returns the result
    and drops a cancellation that arrives as its future completes; a worker loop that goes on would
    then keep a service's shutdown waiting for ever. Each worker loop checks here on every turn.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


@dataclass(frozen=True)
class StreamLimits:
    """Retention of every stream (settings EVENTS_MAX_AGE_SECONDS, EVENTS_MAX_BYTES, ...)."""

    max_age_seconds: float
    max_bytes: int
    duplicate_window_seconds: float
    replicas: int


@dataclass(frozen=True)
class Stream:
    name: str
    subjects: tuple[str, ...]


# One stream per producer, and one for what consumers gave up on (docs/events.md).
INVENTORY = Stream("INVENTORY", ("inventory.>",))
CATALOG = Stream("CATALOG", ("catalog.>",))
ORDERS = Stream("ORDERS", ("orders.>",))
DEAD_LETTERS = Stream("DEAD_LETTERS", ("deadletter.>",))


@dataclass(frozen=True)
class Namespace:
    """Where one shop's events live on a broker: subjects under `<name>.`, streams named `<NAME>_...`.

    Empty by default (one shop per broker); EVENTS_NAMESPACE lets several shops, or test databases,
    share one NATS server without seeing each other's events.
    """

    name: str = ""

    def subject(self, subject: str) -> str:
        return f"{self.name}.{subject}" if self.name else subject

    def stream(self, stream: str) -> str:
        return f"{self.name.upper()}_{stream}" if self.name else stream


class Broker:
    """One NATS connection per process, established in the background and re-established by nats-py."""

    def __init__(
        self, *, url: str, name: str, streams: Sequence[Stream], limits: StreamLimits, namespace: Namespace
    ) -> None:
        self.url = url
        self.name = name
        self.namespace = namespace
        self.streams = tuple(streams)
        self.limits = limits
        self._ready: asyncio.Future[JetStreamContext] | None = None
        self._client: Client | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._ready = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._connect_until_done(), name=f"{self.name}-nats-connect")

    async def jetstream(self) -> JetStreamContext:
        """The JetStream context, once connected and the streams exist (waits until then)."""
        assert self._ready is not None, "Broker.start() first"
        return await asyncio.shield(self._ready)

    @property
    def connected(self) -> bool:
        """Read from the request thread too, while the connecting task may reset `_client`: read once."""
        client = self._client
        return client is not None and client.is_connected

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._client is not None:
            # Not drain(): once their tasks are cancelled, the consumers' pull subscriptions have no
            # reader, so nats-py's drain waits for a queue nobody empties until its drain_timeout
            # (30 s), past a graceful stop. What is buffered (the last acks) is flushed, then closed.
            if self._client.is_connected:
                with contextlib.suppress(Exception):
                    await self._client.flush(timeout=CLOSE_FLUSH_SECONDS)
            try:  # bounded: a stop never waits on the client for ever
                await asyncio.wait_for(self._client.close(), timeout=CLOSE_SECONDS)
            except TimeoutError:
                log.warning("broker_close_timed_out", url=redact_url(self.url), seconds=CLOSE_SECONDS)

    async def _on_error(self, exc: Exception) -> None:
        log.warning("broker_error", url=redact_url(self.url), error=str(exc) or type(exc).__name__)

    async def _on_disconnected(self) -> None:
        log.warning("broker_disconnected", url=redact_url(self.url))

    async def _on_reconnected(self) -> None:
        """A server that came back may have lost its streams (a fresh or memory-backed one): declare them again."""
        log.info("broker_reconnected", url=redact_url(self.url))
        if self._client is not None:
            try:
                await declare_streams(self._client.jetstream(), self.streams, self.limits, namespace=self.namespace)
            except Exception as exc:  # JetStream not ready yet: the relay's failures will say so, and retry
                log.warning("broker_streams_not_declared", error=str(exc) or type(exc).__name__)

    async def _connect_until_done(self) -> None:
        assert self._ready is not None
        while True:
            try:
                self._client = await nats.connect(
                    servers=nats_servers(self.url),
                    name=self.name,
                    connect_timeout=2,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,  # once connected, never give up
                    reconnect_time_wait=CONNECT_RETRY_SECONDS,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                )
                js = self._client.jetstream()
                await declare_streams(js, self.streams, self.limits, namespace=self.namespace)
            except Exception as exc:  # the broker is down or not ready yet: try again
                log.warning("broker_unavailable", url=redact_url(self.url), error=str(exc) or type(exc).__name__)
                if self._client is not None:
                    await self._client.close()
                    self._client = None
                await asyncio.sleep(CONNECT_RETRY_SECONDS)
                continue
            log.info("broker_connected", url=redact_url(self.url), streams=[stream.name for stream in self.streams])
            self._ready.set_result(js)
            return


async def declare_streams(
    js: JetStreamContext, streams: Sequence[Stream], limits: StreamLimits, *, namespace: Namespace = Namespace()
) -> None:
    """Create each stream, or bring an existing one to these settings (idempotent; safe from every replica)."""
    for stream in streams:
        config = StreamConfig(
            name=namespace.stream(stream.name),
            subjects=[namespace.subject(subject) for subject in stream.subjects],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            max_age=limits.max_age_seconds,
            max_bytes=limits.max_bytes,
            duplicate_window=limits.duplicate_window_seconds,
            num_replicas=limits.replicas,
        )
        try:
            await js.stream_info(config.name or stream.name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)
