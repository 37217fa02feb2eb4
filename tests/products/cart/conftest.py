from tests.products.orders.support import database_url, inventory_service, shop  # noqa: F401 - fixtures
