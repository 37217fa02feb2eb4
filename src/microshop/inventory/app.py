"""The inventory service's ASGI application."""

from fastapi import APIRouter, FastAPI

from microshop.common.events.broker import DEAD_LETTERS, INVENTORY
from microshop.common.events.hooks import events_hook
from microshop.common.routing import with_aliases
from microshop.common.service import create_service_app
from microshop.inventory.config import InventorySettings
from microshop.inventory.events import outbox
from microshop.inventory.reservations.router import router as reservations_router
from microshop.inventory.stock.router import router as stock_router


def create_app(settings: InventorySettings | None = None) -> FastAPI:
    """Build the inventory service: routes under `/api/inventory`, `/inventory` aliases, the outbox relay."""
    routes = APIRouter()
    # Reservations first: `/inventory/reservations/...` must not be taken for `/inventory/{product_id}`.
    for router in (reservations_router, stock_router):
        routes.include_router(router)
    return create_service_app(
        settings or InventorySettings(),
        title="microshop inventory",
        description="Stock, the movement ledger and reservations.",
        routers=[with_aliases(routes, prefix="/api", alias_prefix="")],
        hooks=[events_hook(streams=[INVENTORY, DEAD_LETTERS], outbox=outbox)],
    )
