"""Background work of the stock read model: following Inventory's events, filling and reconciling."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from microshop.common.background import in_background, periodic
from microshop.common.db import Leadership
from microshop.products.stock import service

log = structlog.get_logger(__name__)

BOOTSTRAP_RETRY_SECONDS = 5.0
RECONCILE_LOCK = "products.stock_reconcile"  # held by the worker that runs the periodic pass


async def _reconcile_at_start(app: FastAPI) -> None:
    """At every start the read model is brought up to Inventory's snapshot (filled when empty), retrying
    until Inventory answers: events retained by the broker cannot be relied on to cover every product."""
    while True:
        try:
            applied = await service.reconcile(
                sessionmaker=app.state.sessionmaker, inventory=app.state.inventory, count_repairs=False
            )
        except Exception as exc:  # Inventory or the database is not there yet; reads show what is stored
            log.warning("stock_bootstrap_deferred", error=str(exc) or type(exc).__name__)
            await asyncio.sleep(BOOTSTRAP_RETRY_SECONDS)
            continue
        log.info("stock_read_model_reconciled_at_start", applied=applied)
        return


stock_bootstrap_hook = in_background("stock-bootstrap", _reconcile_at_start)


async def reconcile_if_leading(app: FastAPI, leadership: Leadership) -> bool:
    """The periodic pass, by the one worker (of every replica) that leads it; False where another leads."""
    if not await leadership.held():
        return False
    applied = await service.reconcile(sessionmaker=app.state.sessionmaker, inventory=app.state.inventory)
    log.info("stock_read_model_reconciled", applied=applied)
    return True


@asynccontextmanager
async def stock_reconcile_hook(app: FastAPI) -> AsyncIterator[None]:
    """Every STOCK_RECONCILE_INTERVAL_SECONDS, one worker of the shop walks Inventory's snapshot (not every worker)."""
    leadership = Leadership(app.state.engine, RECONCILE_LOCK)

    async def reconcile(app: FastAPI) -> None:
        await reconcile_if_leading(app, leadership)

    every_interval = periodic(
        "stock-reconcile", reconcile, interval=lambda app: app.state.settings.stock_reconcile_interval_seconds
    )
    try:
        async with every_interval(app):
            yield
    finally:
        await leadership.release()
