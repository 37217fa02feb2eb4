"""The products service's ASGI application."""

import asyncio

from fastapi import FastAPI

from microshop.common.events.broker import CATALOG, DEAD_LETTERS, INVENTORY, ORDERS
from microshop.common.events.hooks import events_hook
from microshop.common.service import create_service_app
from microshop.products.addresses.router import router as addresses_router
from microshop.products.cart.router import router as cart_router
from microshop.products.catalog.router import router as catalog_router
from microshop.products.catalog.router import upload_router
from microshop.products.config import ProductsSettings
from microshop.products.events import outbox
from microshop.products.inventory_client import inventory_client_hook
from microshop.products.orders.admin_router import router as admin_orders_router
from microshop.products.orders.recovery import idempotency_cleanup_hook, recovery_hook
from microshop.products.orders.router import checkout_router
from microshop.products.orders.router import router as orders_router
from microshop.products.payments.router import router as payments_router
from microshop.products.shipping.router import router as shipping_router
from microshop.products.stock import service as stock_service
from microshop.products.stock.jobs import stock_bootstrap_hook, stock_reconcile_hook
from microshop.products.storage import media_storage_hook, mount_media


def create_app(settings: ProductsSettings | None = None) -> FastAPI:
    """Build the products service."""
    settings = settings or ProductsSettings()
    app = create_service_app(
        settings,
        title="microshop products",
        description="Catalog, carts, checkout and orders.",
        routers=[
            catalog_router,
            cart_router,
            checkout_router,
            orders_router,
            admin_orders_router,
            addresses_router,
            shipping_router,
            payments_router,
        ],
        upload_routers=[upload_router],
        hooks=[
            inventory_client_hook,
            media_storage_hook,
            recovery_hook,
            idempotency_cleanup_hook,
            # One broker connection: the outbox's order and catalog events go to ORDERS and CATALOG;
            # Inventory's stock events feed the read model (the stream read is declared too, so
            # Products may start first).
            events_hook(
                streams=[ORDERS, CATALOG, INVENTORY, DEAD_LETTERS],
                outbox=outbox,
                subscriptions=[stock_service.STOCK_LEVELS],
            ),
            stock_bootstrap_hook,
            stock_reconcile_hook,
        ],
    )
    app.state.image_decode_slots = asyncio.Semaphore(settings.image_decode_concurrency)
    mount_media(app, settings)
    return app
