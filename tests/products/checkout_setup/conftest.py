"""Fixtures of the tests of what checkout chooses from: the order tests' shop, with instances of their own."""

from tests.products.orders.support import database_url, inventory_service, shop  # noqa: F401 - fixtures
