"""A database that cannot be reached is a 503 envelope on every inventory route, never a 500."""

from collections.abc import AsyncIterator

import httpx
import pytest

from microshop.devtools.embedded_db import free_port
from microshop.inventory.app import create_app
from microshop.inventory.config import InventorySettings
from tests.support.apps import app_client, make_settings
from tests.support.tokens import TokenFactory, bearer


@pytest.fixture(scope="module")
async def offline(tokens: TokenFactory) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        InventorySettings,
        database_url=f"postgresql://nobody@127.0.0.1:{free_port()}/none",
        jwt_public_key=tokens.public_pem,
    )
    async with app_client(create_app(settings)) as client:
        client.headers.update(bearer(tokens.admin(1)))
        yield client


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/inventory", None),
        ("GET", "/api/inventory/1", None),
        ("POST", "/api/inventory", {"product_id": 1, "stock": 3}),
        ("POST", "/api/inventory/reservations", {"reference": "r1", "items": [{"product_id": 1, "quantity": 1}]}),
        ("POST", "/api/inventory/reservations/r1/release", None),
    ],
)
async def test_unreachable_database_is_503(offline: httpx.AsyncClient, method: str, path: str, body: object) -> None:
    response = await offline.request(method, path, json=body)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
