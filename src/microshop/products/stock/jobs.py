"""Background work of the stock read model: following Inventory's events, filling and reconciling."""

import asyncio

import structlog
from fastapi import FastAPI

from microshop.common.background import in_background, periodic
from microshop.common.events.broker import DEAD_LETTERS, INVENTORY
from microshop.common.events.hooks import events_hook
from microshop.products.stock import repository, service

log = structlog.get_logger(__name__)

BOOTSTRAP_RETRY_SECONDS = 5.0

# Products declares the stream it reads too (idempotent), so it can start before Inventory ever ran.
stock_events_hook = events_hook(streams=[INVENTORY, DEAD_LETTERS], subscriptions=[service.STOCK_LEVELS])


async def _reconcile(app: FastAPI) -> None:
    await service.reconcile(sessionmaker=app.state.sessionmaker, inventory=app.state.inventory)


async def _fill_when_empty(app: FastAPI) -> None:
    """An empty read model fills itself from Inventory's snapshot, retrying until Inventory answers."""
    while True:
        try:
            async with app.state.sessionmaker() as session:
                if await repository.count(session) > 0:
                    return
            applied = await service.reconcile(sessionmaker=app.state.sessionmaker, inventory=app.state.inventory)
        except Exception as exc:  # Inventory or the database is not there yet: the catalog shows 0 meanwhile
            log.warning("stock_bootstrap_deferred", error=str(exc) or type(exc).__name__)
            await asyncio.sleep(BOOTSTRAP_RETRY_SECONDS)
            continue
        log.info("stock_read_model_filled", products=applied)
        return


stock_bootstrap_hook = in_background("stock-bootstrap", _fill_when_empty)

stock_reconcile_hook = periodic(
    "stock-reconcile", _reconcile, interval=lambda app: app.state.settings.stock_reconcile_interval_seconds
)
