"""Fixtures for catalog tests: the products app in process, talking to a REAL inventory process.

The one seam is the service token: Products gets a token signed by the test key (what Auth's
client-credentials grant would issue) instead of asking Auth for it.
"""

import io
import itertools
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

from microshop.common.testing import ServiceProcess, TokenFactory, app_client, bearer, make_settings
from microshop.products.app import create_app
from microshop.products.config import ProductsSettings

_ids = itertools.count(70_000)
# Inventory's listing route, as its metrics label it (the /api path or its seed-001 alias).
_LIST_ROUTE = re.compile(r'route="(?:/api)?/inventory"')


class FixedServiceTokens:
    """Stands in for `ServiceTokens`: always the token Auth would have issued."""

    def __init__(self, tokens: TokenFactory) -> None:
        self.tokens = tokens

    async def get(self, *, renew: bool = False) -> str:
        return self.tokens.service()


@dataclass
class Catalog:
    client: httpx.AsyncClient
    app: FastAPI
    settings: ProductsSettings
    tokens: TokenFactory
    inventory: ServiceProcess

    def admin(self, user_id: int | None = None) -> dict[str, str]:
        return bearer(self.tokens.admin(user_id if user_id is not None else next(_ids)))

    def user(self) -> dict[str, str]:
        return bearer(self.tokens.user(next(_ids)))

    @property
    def media_dir(self) -> Path:
        return Path(self.settings.media_dir)

    def stored_files(self) -> list[str]:
        return sorted(path.name for path in self.media_dir.iterdir()) if self.media_dir.exists() else []

    async def create(self, **fields: Any) -> dict[str, Any]:
        body = {"name": "Thing", "price": "10.00", **fields}
        response = await self.client.post("/api/products", json=body, headers=self.admin())
        assert response.status_code == 201, response.text
        return response.json()

    def inventory_list_calls(self) -> int:
        """GET /api/inventory (listing) requests Inventory has served, from its own /metrics."""
        metrics = httpx.get(f"{self.inventory.url}/metrics", timeout=5).text
        pattern = re.compile(r"^http_requests_total\{([^}]*)\} ([0-9.e+]+)$", re.MULTILINE)
        return int(
            sum(
                float(value)
                for labels, value in pattern.findall(metrics)
                if 'method="GET"' in labels and _LIST_ROUTE.search(labels)
            )
        )

    def inventory_stock(self, product_id: int) -> int | None:
        response = httpx.get(
            f"{self.inventory.url}/api/inventory/{product_id}", headers=bearer(self.tokens.service()), timeout=5
        )
        return None if response.status_code == 404 else int(response.json()["stock"])


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


def catalog_settings(
    database_url: str, tokens: TokenFactory, media_dir: Path, inventory_url: str, **overrides: Any
) -> ProductsSettings:
    return make_settings(
        ProductsSettings,
        database_url=database_url,
        jwt_public_key=tokens.public_pem,
        inventory_url=inventory_url,
        media_dir=media_dir,
        recovery_interval_seconds=3600,
        **overrides,
    )


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


def image_bytes(image_format: str = "PNG", size: tuple[int, int] = (8, 6), **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=image_format, **save)
    return out.getvalue()


def png_upload(name: str = "photo.png") -> tuple[str, bytes, str]:
    return (name, image_bytes("PNG"), "image/png")
