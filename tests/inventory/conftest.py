"""Fixtures of the inventory tests: the app in process, headers per role, fresh product ids."""

import itertools
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from microshop.inventory.app import create_app
from microshop.inventory.config import InventorySettings
from tests.support.apps import app_client, make_settings
from tests.support.tokens import TokenFactory, bearer

_product_ids = itertools.count(10_000)


@pytest.fixture
def product_id() -> int:
    """A product id no other test in the session uses."""
    return next(_product_ids)


@pytest.fixture
def new_product_id() -> Callable[[], int]:
    return lambda: next(_product_ids)


@pytest.fixture(scope="module")
async def client(database_url: str, tokens: TokenFactory) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(InventorySettings, database_url=database_url, jwt_public_key=tokens.public_pem)
    async with app_client(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def admin(tokens: TokenFactory) -> dict[str, str]:
    return bearer(tokens.admin(1))


@pytest.fixture(scope="module")
def user(tokens: TokenFactory) -> dict[str, str]:
    return bearer(tokens.user(2))


@pytest.fixture(scope="module")
def service(tokens: TokenFactory) -> dict[str, str]:
    return bearer(tokens.service("products-service"))
