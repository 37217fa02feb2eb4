"""Fixtures of the order tests: Products in process in front of a real Inventory process."""

from tests.products.orders.support import database_url, inventory_service, shop  # noqa: F401 - fixtures
