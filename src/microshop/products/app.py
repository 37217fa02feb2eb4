"""The products service's ASGI application."""

from fastapi import FastAPI

from microshop.common.service import create_service_app
from microshop.products.config import ProductsSettings
from microshop.products.inventory_client import inventory_client_hook


def create_app(settings: ProductsSettings | None = None) -> FastAPI:
    """Build the products service."""
    return create_service_app(
        settings or ProductsSettings(),
        title="microshop products",
        description="Catalog, carts, checkout and orders.",
        routers=[],
        hooks=[inventory_client_hook],
    )
