"""Periodic background jobs that live as long as the app: started and stopped by its lifespan."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

import structlog
from fastapi import FastAPI

from microshop.common.service import LifespanHook

log = structlog.get_logger(__name__)

Job = Callable[[FastAPI], Awaitable[None]]


def periodic(name: str, job: Job, *, interval: Callable[[FastAPI], float]) -> LifespanHook:
    """A lifespan hook running `job(app)` every `interval(app)` seconds in each worker.

    No failure of one run stops the next or the process (it is logged with its traceback);
    the task is cancelled when the app shuts down.
    """

    async def run_forever(app: FastAPI) -> None:
        while True:
            await asyncio.sleep(interval(app))
            try:
                await job(app)
            except Exception:  # a job must never take the service down; the next tick tries again
                log.exception("background_job_failed", job=name)

    @asynccontextmanager
    async def hook(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(run_forever(app), name=name)
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    return hook
