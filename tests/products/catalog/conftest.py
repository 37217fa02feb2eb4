from tests.products.catalog.support import catalog, inventory_process  # noqa: F401 - fixtures
