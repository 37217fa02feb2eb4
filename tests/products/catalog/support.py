"""Helpers of the catalog tests: the products app in process behind `Catalog`, its settings, test images."""

import io
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from PIL import Image

from microshop.products.config import ProductsSettings
from tests.support.apps import make_settings
from tests.support.processes import ServiceProcess
from tests.support.tokens import TokenFactory, bearer

_ids = itertools.count(70_000)
# Inventory's listing route, as its metrics label it (the /api path or its unprefixed alias).
_LIST_ROUTE = re.compile(r'route="(?:/api)?/inventory"')


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


def image_bytes(image_format: str = "PNG", size: tuple[int, int] = (8, 6), **save: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=image_format, **save)
    return out.getvalue()


def png_upload(name: str = "photo.png") -> tuple[str, bytes, str]:
    return (name, image_bytes("PNG"), "image/png")
