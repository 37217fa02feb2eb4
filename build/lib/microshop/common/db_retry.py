"""A request whose unit of work PostgreSQL chose as a deadlock or serialization victim runs again.

PostgreSQL resolves a deadlock (SQLSTATE 40P01) or a serialization failure (40001) by aborting one
of the transactions; the other goes on. For the aborted request nothing was committed, so running
the whole request again is safe and usually succeeds at once. `RetryDatabaseConflicts` wraps the
app: it records the request body as the app reads it, and when such an error escapes before any
response was sent, it replays the request from the start with a fresh session, up to
`DB_RETRY_ATTEMPTS` times in all. When every attempt lost, or the request had already committed
a write of its own (a rate-limit hit) before it lost, the client gets 503 `database_busy` with
Retry-After: never a 500. See docs/architecture.md#service-defaults.

Code that locks rows still takes them in one order (see each repository); this is the safety net.
"""

import asyncio
import json
import random

import structlog
from prometheus_client import Counter
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microshop.common.db import COMMITTED
from microshop.common.errors import error_body

log = structlog.get_logger(__name__)

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
RETRIES = Counter(
    "microshop_db_conflict_retries_total", "Requests run again after a deadlock or serialization failure", ["sqlstate"]
)
BUSY = Counter("microshop_db_conflict_exhausted_total", "Requests answered 503 after every attempt lost a conflict")


def retryable_sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a deadlock or serialization failure, else None."""
    if isinstance(exc, DBAPIError):
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if sqlstate in RETRYABLE_SQLSTATES:
            return str(sqlstate)
    return None


class RetryDatabaseConflicts:
    """Run a request again when its transaction lost a deadlock or serialization conflict."""

    def __init__(self, app: ASGIApp, *, attempts: int) -> None:
        self.app = app
        self.attempts = attempts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received: list[Message] = []  # the body as far as any attempt has read it, for the next one
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        pristine = dict(scope)  # routing writes into the scope; each attempt starts from the original
        for attempt in range(1, self.attempts + 1):
            if attempt > 1:
                scope.clear()
                scope.update(pristine)  # the same dict: outer middleware reads the matched route from it
            try:
                await self.app(scope, _replaying(received, receive), send_tracking)
                return
            except Exception as exc:
                sqlstate = retryable_sqlstate(exc)
                if sqlstate is None or started:
                    raise
                if scope.get(COMMITTED):
                    break  # part of it is committed already: running it again would apply that twice
                RETRIES.labels(sqlstate=sqlstate).inc()
                log.warning("db_conflict_retried", path=scope["path"], attempt=attempt, sqlstate=sqlstate)
                # A short random pause, so the transactions that collided do not collide again in step.
                await asyncio.sleep(random.uniform(0, 0.01 * attempt))
        BUSY.inc()
        await _answer_busy(send)


def _replaying(received: list[Message], receive: Receive) -> Receive:
    """A `receive` that hands out what earlier attempts read, then reads on (and records) the rest."""
    replay = iter(list(received))

    async def receive_replaying() -> Message:
        message = next(replay, None)
        if message is None:
            message = await receive()
            if message["type"] == "http.request":
                received.append(message)
        return message

    return receive_replaying


async def _answer_busy(send: Send) -> None:
    body = json.dumps(error_body("database_busy", "The database is busy right now; please try again")).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", b"1"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
