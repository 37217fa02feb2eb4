"""Periodic background jobs that live as long as the app: started and stopped by its lifespan."""

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any

import structlog
from fastapi import FastAPI

from microshop.common.service import LifespanHook

log = structlog.get_logger(__name__)

Job = Callable[[FastAPI], Coroutine[Any, Any, None]]


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

    return in_background(name, run_forever)


def in_background(name: str, job: Job) -> LifespanHook:
    """A lifespan hook running `job(app)` once, beside the app, in each worker; cancelled at shutdown."""

    @asynccontextmanager
    async def hook(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(job(app), name=name)
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    return hook
