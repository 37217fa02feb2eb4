from tests.products.orders.support import inventory_service, shop  # noqa: F401 - fixtures
