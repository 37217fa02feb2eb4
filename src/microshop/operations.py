"""What the `microshop` commands and the dev runner share: settings, a database check, migrations.

Production code: `microshop serve | migrate | create-admin` use it in the service image, and the
dev runner (`microshop.devtools`) calls it directly instead of going through the command line.
"""

import asyncio
import os
from collections.abc import Iterable

import asyncpg

from microshop.auth.config import AuthSettings
from microshop.common.db import asyncpg_dsn
from microshop.common.migrations import SERVICES, upgrade
from microshop.common.settings import redact_url
from microshop.inventory.config import InventorySettings
from microshop.products.config import ProductsSettings

AnyServiceSettings = AuthSettings | ProductsSettings | InventorySettings
SETTINGS_CLASSES: dict[str, type[AnyServiceSettings]] = {
    "auth": AuthSettings,
    "products": ProductsSettings,
    "inventory": InventorySettings,
}


class ConfigurationError(RuntimeError):
    """A setting that cannot work; the message names it."""


def service_settings(service: str) -> AnyServiceSettings:
    """The settings object of one service, read from the environment."""
    return SETTINGS_CLASSES[service]()


def check_database(service: str, url: str) -> None:
    """Fail with one sentence naming the setting when the service's database cannot be reached."""

    async def probe() -> None:
        connection = await asyncpg.connect(asyncpg_dsn(url), timeout=5)
        await connection.close()

    try:
        asyncio.run(probe())
    except Exception as exc:  # asyncpg raises many kinds; all mean "cannot use this URL"
        own_setting = f"{service.upper()}_DATABASE_URL"
        setting = own_setting if os.environ.get(own_setting) else "DATABASE_URL"
        raise ConfigurationError(
            f"cannot reach the {service} database given by {setting} ({redact_url(url)}): {exc or type(exc).__name__}"
        ) from None


def migrate_all(services: Iterable[str] = SERVICES) -> list[str]:
    """Apply the migrations of `services` (each to its own schema and database URL); returns them."""
    services = list(services)
    unknown = set(services) - set(SERVICES)
    if unknown:
        raise ConfigurationError(f"unknown service(s): {', '.join(sorted(unknown))}")
    for service in services:
        url = service_settings(service).database_url
        check_database(service, url)
        upgrade(service, url)
    return services
