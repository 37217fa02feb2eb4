"""Fixtures of the catalog and image tests: the products app in process, talking to a real Inventory process.

The one seam is the service token: Products gets a token signed by the test key (what Auth's
client-credentials grant would issue) instead of asking Auth for it.
"""

from collections.abc import AsyncIterator, Iterator

import pytest

from microshop.products.app import create_app
from tests.products.catalog.support import Catalog, catalog_settings
from tests.products.support import FixedServiceTokens
from tests.support.apps import app_client
from tests.support.processes import ServiceProcess
from tests.support.tokens import TokenFactory


@pytest.fixture(scope="module")
def inventory_process(
    database_url: str, tokens: TokenFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    """The real inventory service on this module's database, trusting the test signing key."""
    process = ServiceProcess.service(
        "inventory",
        env={"DATABASE_URL": database_url, "JWT_PUBLIC_KEY": tokens.public_pem},
        log_dir=tmp_path_factory.mktemp("inventory-logs"),
    )
    with process:
        yield process


@pytest.fixture(scope="module")
async def catalog(
    database_url: str,
    tokens: TokenFactory,
    inventory_process: ServiceProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Catalog]:
    settings = catalog_settings(database_url, tokens, tmp_path_factory.mktemp("media"), inventory_process.url)
    app = create_app(settings)
    async with app_client(app) as client:
        app.state.inventory.tokens = FixedServiceTokens(tokens)
        yield Catalog(client, app, settings, tokens, inventory_process)
