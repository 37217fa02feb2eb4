"""An event loop on a thread of its own, for a service's event workers (docs/events.md#how-the-workers-run).

On the request loop, a consumer under load waited behind a whole round of requests at every await
(fetch, BEGIN, upsert, COMMIT): stock reached the catalog seconds late. On a loop of their own the
workers wait only for the GIL, which a busy thread hands over within `sys.getswitchinterval()`.
Objects made on this loop (the broker connection, the workers' engine) are used on it only; the
request thread reads plain attributes of them (`Broker.connected`, `Consumer.freshness`).
"""

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import structlog

log = structlog.get_logger(__name__)

T = TypeVar("T")


class EventLoopThread:
    """A daemon thread running an event loop of the caller's kind (uvloop when the app runs on it)."""

    def __init__(self, name: str, *, join_seconds: float) -> None:
        self.name = name
        self.join_seconds = join_seconds  # how long a stop waits for the thread
        # The running loop's own class: uvicorn picks uvloop when it is installed, the tests asyncio's.
        self.loop: asyncio.AbstractEventLoop = type(asyncio.get_running_loop())()
        self._thread = threading.Thread(target=self._run_forever, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run_forever(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the thread's loop and wait for it from the caller's (cancelling the caller cancels it)."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self.loop))

    async def stop(self) -> None:
        """Stop the loop and wait for the thread, `join_seconds` at most (a daemon thread never holds up an exit)."""
        if not self._thread.is_alive():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.to_thread(self._thread.join, self.join_seconds)
        if self._thread.is_alive():
            log.warning("event_loop_thread_not_stopped", thread=self.name, seconds=self.join_seconds)
