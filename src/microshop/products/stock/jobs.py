"""Background work of the stock read model: following Inventory's events, filling and reconciling."""

import asyncio

import structlog
from fastapi import FastAPI

from microshop.common.background import in_background, periodic
from microshop.products.stock import service

log = structlog.get_logger(__name__)

BOOTSTRAP_RETRY_SECONDS = 5.0


async def _reconcile(app: FastAPI) -> None:
    await service.reconcile(sessionmaker=app.state.sessionmaker, inventory=app.state.inventory)


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

stock_reconcile_hook = periodic(
    "stock-reconcile", _reconcile, interval=lambda app: app.state.settings.stock_reconcile_interval_seconds
)
