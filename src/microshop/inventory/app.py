"""The inventory service's ASGI application."""

from fastapi import FastAPI

from microshop.common.service import create_service_app
from microshop.inventory.config import InventorySettings


def create_app(settings: InventorySettings | None = None) -> FastAPI:
    """Build the inventory service."""
    return create_service_app(
        settings or InventorySettings(),
        title="microshop inventory",
        description="Stock, the movement ledger and reservations.",
        routers=[],
    )
