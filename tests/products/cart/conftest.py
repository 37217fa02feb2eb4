"""Fixtures of the cart tests: the shop the order tests use, with instances of their own."""

from tests.products.orders.support import database_url, inventory_service, shop  # noqa: F401 - fixtures
